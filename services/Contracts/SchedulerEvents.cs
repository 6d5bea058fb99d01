namespace Aetherium.Contracts;

public sealed record VmRequested(Guid VmId, Guid OrganizationId, Guid? LeaseId, string Name, VmSpec Spec, DateTimeOffset OccurredAt);

public sealed record VmScheduled(Guid VmId, Guid OrganizationId, Guid? LeaseId, Guid WorkerId, VmSpec Spec, DateTimeOffset OccurredAt);

public sealed record VmUnschedulable(Guid VmId, Guid OrganizationId, Guid? LeaseId, string Reason, DateTimeOffset OccurredAt);

/// <summary>Version grows with every change of the VM, so consumers can drop stale copies.</summary>
public sealed record VmStateChanged(
    Guid VmId, Guid OrganizationId, Guid? LeaseId, Guid? WorkerId,
    string OldStatus, string NewStatus, string? Reason, long Version, DateTimeOffset OccurredAt,
    string? WorkerAddress = null, int? Port = null);

public sealed record VmDeleted(Guid VmId, Guid OrganizationId, Guid? LeaseId, Guid? WorkerId, DateTimeOffset OccurredAt);

public sealed record VmMigrated(Guid VmId, Guid OrganizationId, Guid FromWorkerId, Guid ToWorkerId, string Reason, DateTimeOffset OccurredAt);

/// <summary>
/// One VM as the agent of its worker must run it (DESIGN §6 DESIRED_STATE entry). Port is the TCP port
/// on the worker that the scheduler allotted to this VM (unique per worker); the VM listens there and
/// tenants reach it at worker address:port. Generation grows on every restart action, so the agent
/// restarts a VM whose generation changed while it kept running. ChangedIn is the worker's desired
/// version in which this VM last changed (placed here, power state, generation): the scheduler ignores
/// reports of it made against an older version, so inventory passes a report on again once the agent
/// reports it against this one, even if its state did not change meanwhile.
/// </summary>
public sealed record DesiredVm(Guid VmId, string Name, string ImageId, int CpuCores, int MemoryMb, int DiskGb, int GpuCount, string PowerState,
    string? Command = null, int Port = 0, long Generation = 0, long ChangedIn = 0, VmAccess? Access = null);

/// <summary>
/// How the tenant signs in to a VM, given to it when it starts (the process driver writes it as a cloud-init
/// NoCloud seed and an authorized_keys file). Exactly one of the two is set: the lease's SSH public key, or
/// the bcrypt hash (crypt(3) format) of the password the tenant was shown once. The password itself never
/// leaves the lease service's answer to the rent.
/// </summary>
public sealed record VmAccess(string Username, string? SshPublicKey, string? PasswordHash);

/// <summary>
/// The complete set of VMs a worker must run, versioned. The scheduler publishes it whenever that set
/// changes; inventory keeps the newest per worker and pushes it to the agent as DESIRED_STATE.
/// </summary>
public sealed record WorkerDesiredStateChanged(Guid WorkerId, long Version, IReadOnlyList<DesiredVm> Vms, DateTimeOffset OccurredAt);

/// <summary>Command: create a VM with this id (idempotent on VmId). Sent by lease, with the lease's sign-in.</summary>
public sealed record CreateVm(Guid VmId, Guid OrganizationId, Guid? LeaseId, string Name, VmSpec Spec, VmAccess? Access = null);

/// <summary>Command: delete a VM (idempotent). Sent by lease on release and expiry.</summary>
public sealed record DeleteVm(Guid VmId, Guid OrganizationId, string Reason);
