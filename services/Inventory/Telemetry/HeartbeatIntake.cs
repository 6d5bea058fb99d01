using System.Diagnostics;
using Aetherium.Contracts.Agent;

namespace Aetherium.Inventory.Telemetry;

/// <summary>Takes a heartbeat or metrics report (WebSocket or HTTP) into memory; the flusher writes it.</summary>
public sealed class HeartbeatIntake(TelemetryBuffer buffer, InventoryMeters meters, TimeProvider clock)
{
    /// <param name="receivedAt">Stopwatch timestamp of when the frame was read, for the handling-latency histogram.</param>
    public void Accept(Guid workerId, HeartbeatData heartbeat, long receivedAt)
    {
        var now = clock.GetUtcNow();
        buffer.AddHeartbeat(workerId, new HeartbeatSample(
            Percent(heartbeat.CpuUsagePercent), Percent(heartbeat.MemoryUsagePercent), Percent(heartbeat.DiskUsagePercent),
            Math.Max(0, heartbeat.UptimeSeconds), Math.Max(0, heartbeat.DesiredVersion), now));
        buffer.AddVmStates(workerId, heartbeat.Vms, now);
        meters.Heartbeat(Stopwatch.GetElapsedTime(receivedAt).TotalMilliseconds);
    }

    public void AcceptMetrics(Guid workerId, MetricsData metrics) =>
        buffer.AddMetrics(new MetricsReport(workerId, metrics, clock.GetUtcNow()));

    /// <summary>Agents report what they measure; a NaN or 250 % must not reach the views.</summary>
    public static double Percent(double value) => double.IsFinite(value) ? Math.Clamp(value, 0, 100) : 0;
}
