namespace Aetherium.Contracts;

/// <summary>
/// A full, versioned picture of a worker as the scheduler needs it. Every worker event carries one,
/// so a consumer applies an event only when its Version is newer than what it holds: events can
/// arrive twice or out of order and the view still converges.
/// </summary>
public sealed record WorkerSnapshot(
    Guid WorkerId,
    Guid OrganizationId,
    string Name,
    string? Hostname,
    string? Address,
    string Zone,
    string Status,
    IReadOnlyDictionary<string, string> Labels,
    IReadOnlyList<string> Runtimes,
    int CpuCores,
    long MemoryMb,
    long DiskGb,
    IReadOnlyList<GpuInfo> Gpus,
    int MaxVms,
    long Version,
    DateTimeOffset? DrainDeadline = null,
    int DrainMaxParallel = 1,
    IReadOnlyList<string>? Images = null);

// Images: the image ids the agent says it can run (NODE_REGISTER "supported_images"); null or empty = any image.
// Address: where tenants reach the worker's VMs (public IP when the agent reports one, else its IP).

public sealed record WorkerCreated(WorkerSnapshot Worker, DateTimeOffset OccurredAt);

public sealed record WorkerRegistered(WorkerSnapshot Worker, DateTimeOffset OccurredAt);

public sealed record WorkerStatusChanged(WorkerSnapshot Worker, string OldStatus, string NewStatus, string? Reason, DateTimeOffset OccurredAt);

public sealed record WorkerCapacityChanged(WorkerSnapshot Worker, DateTimeOffset OccurredAt);

public sealed record WorkerDeleted(WorkerSnapshot Worker, DateTimeOffset OccurredAt);

/// <summary>
/// A worker's agent reported (in a heartbeat) that it has applied desired version <paramref name="DesiredVersion"/>
/// of its VM set: whatever that version left out no longer runs there. Published when the applied version grows,
/// so a deletion is confirmed even when no VM report follows it (the worker's last VM).
/// </summary>
public sealed record WorkerDesiredStateApplied(Guid WorkerId, long DesiredVersion, DateTimeOffset OccurredAt);

/// <summary>An agent reported a VM in a state different from the last one reported.</summary>
public sealed record VmObserved(Guid VmId, Guid WorkerId, string State, string? Reason, long DesiredVersion, DateTimeOffset ObservedAt);
