namespace Aetherium.Scheduler.Vms;

/// <summary>The vm shape of DESIGN §12, with where to reach it once placed (address:port).</summary>
public sealed record VmResponse(
    Guid Id,
    string Name,
    Guid OrganizationId,
    Guid? LeaseId,
    string Status,
    string? StatusReason,
    Guid? WorkerId,
    string? Address,
    int? Port,
    string PowerState,
    long Generation,
    VmSpecResponse Spec,
    long Version,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt)
{
    public static VmResponse From(Vm vm) => new(
        vm.Id, vm.Name, vm.OrganizationId, vm.LeaseId, vm.Status, vm.StatusReason, vm.WorkerId, vm.Endpoint.Address, vm.Endpoint.Port,
        vm.PowerState, vm.Generation,
        new VmSpecResponse(vm.CpuCores, vm.MemoryMb, vm.DiskGb, vm.ImageId, vm.RequiresGpu, vm.GpuCount, vm.Zone, vm.Labels, vm.Runtime, vm.Command, vm.Scoring),
        vm.Version, vm.CreatedAt, vm.UpdatedAt);
}

public sealed record VmSpecResponse(
    int CpuCores, int MemoryMb, int DiskGb, string ImageId, bool RequiresGpu, int GpuCount,
    string? Zone, IReadOnlyDictionary<string, string> Labels, string? Runtime, string? Command, string? Scoring);

public sealed record VmList(IReadOnlyList<VmResponse> Vms, int Total, int Page, int Limit);

public sealed record VmActionRequest(string? Action);
