using System.Diagnostics;
using Aetherium.Contracts.Agent;
using Aetherium.Inventory.Agents;

namespace Aetherium.Inventory.Telemetry;

/// <summary>
/// Takes a heartbeat or metrics report (WebSocket or HTTP) into memory; the flusher writes it. A report
/// that breaks <see cref="FrameRules"/> is refused whole, logged (rate-limited) and never buffered: one
/// bad figure or string must not reach the batch every worker's telemetry shares.
/// </summary>
public sealed class HeartbeatIntake(TelemetryBuffer buffer, InventoryMeters meters, FrameRefusals refusals, TimeProvider clock)
{
    /// <param name="receivedAt">Stopwatch timestamp of when the frame was read, for the handling-latency histogram.</param>
    /// <returns>The field errors when the heartbeat was refused, else null.</returns>
    public FieldErrors? Accept(Guid workerId, HeartbeatData heartbeat, long receivedAt)
    {
        if (Refused(workerId, FrameTypes.TelemetryHeartbeat, FrameRules.Check(heartbeat)) is { } errors) return errors;
        var now = clock.GetUtcNow();
        buffer.AddHeartbeat(workerId, new HeartbeatSample(
            heartbeat.CpuUsagePercent, heartbeat.MemoryUsagePercent, heartbeat.DiskUsagePercent,
            heartbeat.UptimeSeconds, heartbeat.DesiredVersion, now));
        buffer.AddVmStates(workerId, heartbeat.Vms, now);
        meters.Heartbeat(Stopwatch.GetElapsedTime(receivedAt).TotalMilliseconds);
        return null;
    }

    public FieldErrors? AcceptMetrics(Guid workerId, MetricsData metrics)
    {
        if (Refused(workerId, FrameTypes.TelemetryMetrics, FrameRules.Check(metrics)) is { } errors) return errors;
        buffer.AddMetrics(new MetricsReport(workerId, metrics, clock.GetUtcNow()));
        return null;
    }

    /// <summary>A frame whose JSON could not be read into its record (a bad string, a wrong type): refused the same way.</summary>
    public void Unreadable(Guid workerId, string frameType, string field, string problem) => refusals.Report(workerId, frameType, field, problem);

    private FieldErrors? Refused(Guid workerId, string frameType, FieldErrors errors)
    {
        if (!errors.Failed) return null;
        var field = errors.FirstField!;
        refusals.Report(workerId, frameType, field, errors.ToDictionary()[field][0]);
        return errors;
    }

    /// <summary>Usage figures of a metrics sample as the views keep them (FrameRules already refused anything outside 0–100).</summary>
    public static double Percent(double value) => double.IsFinite(value) ? Math.Clamp(value, 0, 100) : 0;
}
