using System.Diagnostics.Metrics;
using Aetherium.ServiceDefaults;

namespace Aetherium.Scheduler.Scheduling;

/// <summary>What this replica's placement loop did, as counters (OpenTelemetry) and totals.</summary>
public sealed class PlacementStats
{
    private static readonly Counter<long> PlacedCounter = Telemetry.Meter.CreateCounter<long>("aetherium.scheduler.vms_placed", description: "VMs placed on a worker");
    private static readonly Counter<long> RefusedCounter = Telemetry.Meter.CreateCounter<long>("aetherium.scheduler.placements_refused",
        description: "placements the database refused because another replica took the capacity first");
    private static readonly Counter<long> UnschedulableCounter = Telemetry.Meter.CreateCounter<long>("aetherium.scheduler.vms_unschedulable", description: "placement attempts that found no worker");

    private long _placed, _refused, _unschedulable;

    public long Placed => Interlocked.Read(ref _placed);
    /// <summary>Placements refused by the conditional update (another replica got there first).</summary>
    public long Refused => Interlocked.Read(ref _refused);
    public long Unschedulable => Interlocked.Read(ref _unschedulable);

    public void Record(int placed, int refused, int unschedulable)
    {
        Interlocked.Add(ref _placed, placed);
        Interlocked.Add(ref _refused, refused);
        Interlocked.Add(ref _unschedulable, unschedulable);
        if (placed > 0) PlacedCounter.Add(placed);
        if (refused > 0) RefusedCounter.Add(refused);
        if (unschedulable > 0) UnschedulableCounter.Add(unschedulable);
    }
}
