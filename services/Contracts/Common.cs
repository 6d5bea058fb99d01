namespace Aetherium.Contracts;

/// <summary>What a tenant asks for when it wants a VM (DESIGN §12 "spec").</summary>
public sealed record VmSpec(
    int CpuCores,
    int MemoryMb,
    int DiskGb,
    string ImageId,
    bool RequiresGpu = false,
    int GpuCount = 0,
    string? Zone = null,
    IReadOnlyDictionary<string, string>? Labels = null,
    string? Runtime = null,
    string? Command = null);

public sealed record GpuInfo(
    string DeviceId,
    string Model,
    long MemoryTotalMb,
    long MemoryFreeMb,
    double Utilization,
    double Temperature);

/// <summary>Worker lifecycle states (DESIGN §5). Strings on the wire, so they are strings here.</summary>
public static class WorkerStatus
{
    public const string Pending = "pending";
    public const string Installing = "installing";
    public const string Active = "active";
    public const string Offline = "offline";
    public const string Draining = "draining";
    public const string Maintenance = "maintenance";
    public const string Deleted = "deleted";
}

/// <summary>VM lifecycle states (DESIGN §5).</summary>
public static class VmStatus
{
    public const string Pending = "pending";
    public const string Scheduled = "scheduled";
    public const string Provisioning = "provisioning";
    public const string Running = "running";
    public const string Stopped = "stopped";
    public const string Migrating = "migrating";
    public const string Deleting = "deleting";
    public const string Deleted = "deleted";
    public const string Failed = "failed";
    public const string Unschedulable = "unschedulable";
}

public static class Roles
{
    public const string Admin = "admin";
    public const string User = "user";
    public const string Worker = "worker";
    public const string Service = "service";
}
