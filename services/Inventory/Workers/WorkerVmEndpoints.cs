using System.Security.Claims;
using Aetherium.Contracts;
using Aetherium.Inventory.DesiredState;
using Aetherium.Inventory.Persistence;
using Aetherium.ServiceDefaults.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Aetherium.Inventory.Workers;

/// <summary>GET /workers/{id}/vms: the VMs the scheduler placed on the worker, each with what its agent last reported.</summary>
public static class WorkerVmEndpoints
{
    public static void MapWorkerVms(this RouteGroupBuilder g) => g.MapGet("/{id:guid}/vms", ListVms);

    private static async Task<Results<Ok<WorkerVms>, ProblemHttpResult>> ListVms(Guid id, ClaimsPrincipal user, InventoryDbContext db, CancellationToken ct)
    {
        var w = await db.FindVisibleAsync(id, user, ct, track: false);
        if (w is null) return Problems.NotFound("Worker");
        var observed = await db.ObservedVms.AsNoTracking().Where(o => o.WorkerId == id).ToDictionaryAsync(o => o.VmId, ct);
        var vms = VmsOf(w.Desired, observed);
        return TypedResults.Ok(new WorkerVms(w.Id, vms, vms.Count, w.Desired?.Version ?? 0));
    }

    /// <summary>The desired VMs with their observed status ("scheduled" until the agent reports one).</summary>
    public static List<WorkerVm> VmsOf(WorkerDesiredState? desired, IReadOnlyDictionary<Guid, ObservedVm> observed) =>
        (desired?.Vms ?? []).Select(vm =>
        {
            observed.TryGetValue(vm.VmId, out var o);
            return new WorkerVm(vm.VmId, vm.Name, o?.State ?? VmStatus.Scheduled, vm.CpuCores, vm.MemoryMb, vm.DiskGb, vm.ImageId,
                vm.PowerState, vm.Port, o?.Reason, o?.ObservedAt);
        }).ToList();
}
