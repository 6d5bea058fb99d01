using Aetherium.Scheduler.Persistence;
using Aetherium.ServiceDefaults.Auth;
using Aetherium.ServiceDefaults.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Aetherium.Scheduler.Workers;

/// <summary>GET /api/v1/scheduler/workers (admin): the scheduler's own view of every worker's capacity.</summary>
public static class SchedulerWorkerEndpoints
{
    public sealed record Capacity(int CpuCores, long MemoryMb, long DiskGb, int Gpus, int Vms);

    public sealed record WorkerCapacityView(
        Guid Id, string Name, Guid OrganizationId, string? Address, string Zone, string Status, bool Schedulable,
        IReadOnlyDictionary<string, string> Labels, string[] Runtimes, string[]? Images,
        Capacity Total, Capacity Allocated, Capacity Free,
        int MaxVms, long SnapshotVersion, long DesiredVersion, DateTimeOffset? DrainDeadline, int DrainMaxParallel, DateTimeOffset UpdatedAt);

    public sealed record WorkerCapacityList(IReadOnlyList<WorkerCapacityView> Workers, int Total, int Page, int Limit);

    public static IEndpointRouteBuilder MapSchedulerWorkerEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/scheduler/workers", List).RequireAuthorization(AuthenticationSetup.AdminPolicy).WithTags("Scheduler");
        return app;
    }

    private static async Task<Results<Ok<WorkerCapacityList>, ValidationProblem>> List(
        SchedulerDbContext db, IOptions<SchedulerOptions> options, CancellationToken ct,
        [FromQuery] string? status = null, [FromQuery] string? zone = null, [FromQuery] string? page = null, [FromQuery] string? limit = null)
    {
        var v = new Validator();
        var pageNo = 1;
        var size = 100;
        if (page is not null && (!int.TryParse(page, out pageNo) || pageNo < 1 || pageNo > 1_000_000)) v.Add("page", "must be an integer between 1 and 1000000");
        if (limit is not null && (!int.TryParse(limit, out size) || size < 1 || size > 1000)) v.Add("limit", "must be an integer between 1 and 1000");
        if (v.Failed) return v.Problem();

        var query = db.Workers.AsNoTracking();
        if (status is not null) query = query.Where(w => w.Status == status);
        if (zone is not null) query = query.Where(w => w.Zone == zone);
        var total = await query.CountAsync(ct);
        // A row that cannot be read is left off the page (the placement loop's warning names it), not a 500 for all.
        var (rows, _) = await WorkerRows.ReadAsync(query.OrderBy(w => w.Zone).ThenBy(w => w.Name).ThenBy(w => w.Id).Skip((pageNo - 1) * size).Take(size), ct);
        var ports = options.Value.PortRange.Size;
        var list = rows.Select(w =>
        {
            var maxVms = FleetView.EffectiveMaxVms(w.MaxVms, ports);
            return new WorkerCapacityView(w.Id, w.Name, w.OrganizationId, w.Address, w.Zone, w.Status, w.Status == Contracts.WorkerStatus.Active,
                w.Labels, w.Runtimes, w.Images,
                new Capacity(w.CpuCores, w.MemoryMb, w.DiskGb, w.GpuCount, maxVms),
                new Capacity(w.AllocatedCpu, w.AllocatedMemoryMb, w.AllocatedDiskGb, w.AllocatedGpus, w.VmCount),
                new Capacity(w.CpuCores - w.AllocatedCpu, w.MemoryMb - w.AllocatedMemoryMb, w.DiskGb - w.AllocatedDiskGb, w.GpuCount - w.AllocatedGpus, maxVms - w.VmCount),
                w.MaxVms, w.SnapshotVersion, w.DesiredVersion, w.DrainDeadline, w.DrainMaxParallel, w.UpdatedAt);
        }).ToList();
        return TypedResults.Ok(new WorkerCapacityList(list, total, pageNo, size));
    }
}
