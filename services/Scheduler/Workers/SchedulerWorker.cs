using Aetherium.Contracts;

namespace Aetherium.Scheduler.Workers;

/// <summary>
/// The scheduler's row for one worker: the latest snapshot inventory published (applied only when its
/// version is newer) plus what the scheduler itself allotted there. The allocation columns change only
/// through conditional UPDATEs, so replicas can never push a worker past its capacity.
/// </summary>
public sealed class SchedulerWorker
{
    public Guid Id { get; set; }
    public Guid OrganizationId { get; set; }
    public string Name { get; set; } = "";
    public string? Address { get; set; }
    public string Zone { get; set; } = "";
    public string Status { get; set; } = WorkerStatus.Pending;
    public Dictionary<string, string> Labels { get; set; } = new();
    public string[] Runtimes { get; set; } = [];
    /// <summary>Image ids the agent can run; null or empty: any.</summary>
    public string[]? Images { get; set; }
    public int CpuCores { get; set; }
    public long MemoryMb { get; set; }
    public long DiskGb { get; set; }
    public int GpuCount { get; set; }
    public int MaxVms { get; set; }
    public long SnapshotVersion { get; set; }
    public DateTimeOffset? DrainDeadline { get; set; }
    public int DrainMaxParallel { get; set; } = 1;
    public DateTimeOffset StatusChangedAt { get; set; }
    public DateTimeOffset? OfflineSince { get; set; }
    /// <summary>Last time capacity may have appeared here: unschedulable VMs checked before it are tried again.</summary>
    public DateTimeOffset CapacityChangedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }

    public int AllocatedCpu { get; set; }
    public long AllocatedMemoryMb { get; set; }
    public long AllocatedDiskGb { get; set; }
    public int AllocatedGpus { get; set; }
    public int VmCount { get; set; }
    /// <summary>Version of the last WorkerDesiredStateChanged published for this worker.</summary>
    public long DesiredVersion { get; set; }
    /// <summary>Offset into the port range where the next port search starts.</summary>
    public int NextPort { get; set; }
}
