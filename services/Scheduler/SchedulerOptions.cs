using Aetherium.Scheduler.Placement;

namespace Aetherium.Scheduler;

/// <summary>Configuration section "Scheduler".</summary>
public sealed class SchedulerOptions
{
    /// <summary>Default scoring when a VM does not ask for one: BinPack (Nomad's default) or Spread.</summary>
    public ScoringMode Scoring { get; set; } = ScoringMode.BinPack;
    public SamplingOptions Sampling { get; set; } = new();
    public PortRangeOptions PortRange { get; set; } = new();
    /// <summary>VMs taken from the queue per placement transaction.</summary>
    public int BatchSize { get; set; } = 200;
    /// <summary>How often the placement loop looks for work when nothing woke it (other replicas' VMs).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(500);
    /// <summary>
    /// The in-memory view of the workers takes in changed rows before every placement batch, and is
    /// reloaded whole this often (and whenever a worker appears or disappears).
    /// </summary>
    public TimeSpan ViewReloadInterval { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>An unschedulable VM is tried again at least this often, even if no capacity event was seen.</summary>
    public TimeSpan UnschedulableRetryInterval { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>A deleting VM that no agent report confirms is taken as gone after this long (its worker's desired set no longer holds it).</summary>
    public TimeSpan DeleteConfirmTimeout { get; set; } = TimeSpan.FromSeconds(30);
    public MigrationOptions Migration { get; set; } = new();

    public PlacementSettings PlacementSettings => new(Sampling.MinFeasible, Sampling.Percentage);
}

public sealed class SamplingOptions
{
    /// <summary>Feasible workers to find before scoring stops, at least (kube-scheduler: 100).</summary>
    public int MinFeasible { get; set; } = 100;
    /// <summary>Share of the fleet, in percent, to find feasible in a large fleet (kube-scheduler's floor: 5).</summary>
    public int Percentage { get; set; } = 5;
}

public sealed class PortRangeOptions
{
    public int Start { get; set; } = 20000;
    public int End { get; set; } = 29999;
    public int Size => End - Start + 1;
}

public sealed class MigrationOptions
{
    /// <summary>How often the rescheduler looks for VMs to move when nothing woke it.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);
    /// <summary>More than this share of the workers (of the fleet or of one zone) failing together is a mass failure.</summary>
    public double MassFailureShare { get; set; } = 0.3;
    /// <summary>Workers that went offline within this window count as failing together.</summary>
    public TimeSpan MassFailureWindow { get; set; } = TimeSpan.FromMinutes(2);
    /// <summary>Fleets and zones smaller than this never count as a mass failure.</summary>
    public int MassFailureMinWorkers { get; set; } = 10;
    /// <summary>VMs per second rescheduled during a mass failure (token bucket, shared by all replicas).</summary>
    public double RatePerSecond { get; set; } = 20;
    public double Burst { get; set; } = 20;
    /// <summary>Drain deadline when the worker's snapshot carries none (DESIGN §5: 1 h).</summary>
    public TimeSpan DefaultDrainDeadline { get; set; } = TimeSpan.FromHours(1);
    public int BatchSize { get; set; } = 200;
}
