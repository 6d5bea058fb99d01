using Aetherium.Contracts;
using Aetherium.Contracts.Agent;

namespace Aetherium.Scheduler.Vms;

public sealed class Vm
{
    public Guid Id { get; set; }
    public Guid OrganizationId { get; set; }
    public Guid? LeaseId { get; set; }
    public string Name { get; set; } = "";
    public string Status { get; set; } = VmStatus.Pending;
    public string? StatusReason { get; set; }

    public int CpuCores { get; set; }
    public int MemoryMb { get; set; }
    public int DiskGb { get; set; }
    public string ImageId { get; set; } = "";
    public bool RequiresGpu { get; set; }
    public int GpuCount { get; set; }
    public string? Zone { get; set; }
    public Dictionary<string, string> Labels { get; set; } = new();
    public string? Runtime { get; set; }
    public string? Command { get; set; }
    /// <summary>"binpack" or "spread" when the VM asked for one; null: the configured default.</summary>
    public string? Scoring { get; set; }

    /// <summary>The tenant's sign-in (lease's CreateVm): a key or a password's bcrypt hash, never a password.</summary>
    public string? AccessUsername { get; set; }
    public string? AccessSshPublicKey { get; set; }
    public string? AccessPasswordHash { get; set; }

    /// <summary>Where tenants reach it: none while it is on no worker (a moving VM keeps its old address and port, see Evacuation).</summary>
    public (string? Address, int? Port) Endpoint => WorkerId is null ? (null, null) : (WorkerAddress, Port);

    public VmAccess? Access => AccessUsername is null ? null : new VmAccess(AccessUsername, AccessSshPublicKey, AccessPasswordHash);

    public Guid? WorkerId { get; set; }
    public string? WorkerAddress { get; set; }
    public int? Port { get; set; }
    /// <summary>The worker a migration took it from, until it is observed in its desired state on the new one.</summary>
    public Guid? MigratedFrom { get; set; }
    public string? MigrationReason { get; set; }

    public string PowerState { get; set; } = PowerStates.Running;
    /// <summary>Grows with each restart action; the agent restarts a VM whose generation changed.</summary>
    public long Generation { get; set; }
    /// <summary>Grows with every change of the VM (VmStateChanged.Version).</summary>
    public long Version { get; set; }
    /// <summary>
    /// The worker's desired-state version that carries this VM's current desired configuration (or, while
    /// deleting, its removal). Agent reports made against an older version are stale.
    /// </summary>
    public long DesiredVersion { get; set; }

    /// <summary>When it joined the placement queue: creation or migration. Oldest first.</summary>
    public DateTimeOffset QueuedAt { get; set; }
    /// <summary>When placement last found no worker for it.</summary>
    public DateTimeOffset? CheckedAt { get; set; }
    public DateTimeOffset? ObservedAt { get; set; }
    public DateTimeOffset? DeletingSince { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>GPUs it occupies: at least one when it requires a GPU.</summary>
    public int Gpus => Math.Max(GpuCount, RequiresGpu ? 1 : 0);

    public VmSpec Spec => new(CpuCores, MemoryMb, DiskGb, ImageId, RequiresGpu, GpuCount, Zone, Labels, Runtime, Command);
}
