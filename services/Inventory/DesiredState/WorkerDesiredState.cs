using Aetherium.Contracts;
using Aetherium.Contracts.Agent;

namespace Aetherium.Inventory.DesiredState;

/// <summary>
/// The newest set of VMs the scheduler wants on a worker (WorkerDesiredStateChanged), with the
/// allocation it implies: a worker's used_* and vm_count come from here.
/// </summary>
public sealed class WorkerDesiredState
{
    public Guid WorkerId { get; set; }
    public long Version { get; set; }
    public List<DesiredVm> Vms { get; set; } = [];
    public int UsedCpuCores { get; set; }
    public long UsedMemoryMb { get; set; }
    public long UsedDiskGb { get; set; }
    public int VmCount { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }

    public static DesiredStateData Empty { get; } = new(0, []);

    public DesiredStateData ToData() => new(Version, Vms.Select(v => new DesiredVmData(
        v.VmId, v.Name, v.ImageId, v.CpuCores, v.MemoryMb, v.DiskGb, v.GpuCount, v.PowerState, v.Command, v.Port, v.Generation, v.Access)).ToList());
}

/// <summary>What the agent last reported for one VM of its worker.</summary>
public sealed class ObservedVm
{
    public Guid WorkerId { get; set; }
    public Guid VmId { get; set; }
    public required string State { get; set; }
    public string? Reason { get; set; }
    public long DesiredVersion { get; set; }
    public int Restarts { get; set; }
    public long Generation { get; set; }
    public DateTimeOffset ObservedAt { get; set; }
}
