using System.Security.Claims;
using Aetherium.Contracts;
using Aetherium.Scheduler.Images;
using Aetherium.Scheduler.Persistence;
using Aetherium.Scheduler.Scheduling;
using Aetherium.ServiceDefaults.Auth;
using Aetherium.ServiceDefaults.Data;
using Aetherium.ServiceDefaults.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Aetherium.Scheduler.Vms;

public static class VmEndpoints
{
    public const int MaxLimit = 500;

    public static IEndpointRouteBuilder MapVmEndpoints(this IEndpointRouteBuilder app)
    {
        var vms = app.MapGroup("/api/v1/vms").RequireAuthorization(AuthenticationSetup.TenantPolicy).WithTags("VMs");
        vms.MapPost("/", Create);
        vms.MapGet("/", List);
        vms.MapGet("/{id:guid}", Get);
        vms.MapDelete("/{id:guid}", Delete);
        vms.MapPost("/{id:guid}/action", Act);
        return app;
    }

    private static async Task<Results<Accepted<VmResponse>, ValidationProblem, ProblemHttpResult>> Create(
        CreateVmRequest body, ClaimsPrincipal user, SchedulerDbContext db, ImageCatalog catalog, SchedulerSignals signals, TimeProvider time, CancellationToken ct)
    {
        var organization = user.OrganizationId();
        if (organization == Guid.Empty) return Problems.Forbidden("Only members of an organisation create VMs; services send CreateVm.");
        var v = new Validator();
        var now = time.GetUtcNow();
        var vm = VmRequests.Build(NewId.Next(), organization, null, body.Name, body.Spec, await catalog.GetAsync(db, ct), now, v);
        if (vm is null) return v.Problem();
        db.Vms.Add(vm);
        db.Publish(new VmRequested(vm.Id, vm.OrganizationId, null, vm.Name, vm.Spec, now));
        await db.SaveChangesAsync(ct);
        signals.Placement.Notify();
        return TypedResults.Accepted($"/api/v1/vms/{vm.Id}", VmResponse.From(vm));
    }

    private static async Task<Results<Ok<VmList>, ValidationProblem>> List(
        ClaimsPrincipal user, SchedulerDbContext db, CancellationToken ct,
        [FromQuery] string? status = null, [FromQuery(Name = "worker_id")] string? workerId = null,
        [FromQuery(Name = "lease_id")] string? leaseId = null, [FromQuery] string? page = null, [FromQuery] string? limit = null)
    {
        var v = new Validator();
        var pageNo = Int(v, "page", page, 1, 1, int.MaxValue / MaxLimit);
        var size = Int(v, "limit", limit, 50, 1, MaxLimit);
        if (status is not null && !VmStates.All.Contains(status)) v.Add("status", $"must be one of {string.Join(", ", VmStates.All)}");
        var worker = OptionalGuid(v, "worker_id", workerId);
        var lease = OptionalGuid(v, "lease_id", leaseId);
        if (v.Failed) return v.Problem();

        var query = db.Vms.AsNoTracking();
        if (!user.IsAdmin())
        {
            var organization = user.OrganizationId();
            query = query.Where(x => x.OrganizationId == organization);
        }
        // Deleted VMs are history: listed only when asked for.
        query = status is null ? query.Where(x => x.Status != VmStatus.Deleted) : query.Where(x => x.Status == status);
        if (worker is not null) query = query.Where(x => x.WorkerId == worker);
        if (lease is not null) query = query.Where(x => x.LeaseId == lease);

        var total = await query.CountAsync(ct);
        var items = await query.OrderByDescending(x => x.CreatedAt).ThenBy(x => x.Id)
            .Skip((pageNo - 1) * size).Take(size).ToListAsync(ct);
        return TypedResults.Ok(new VmList(items.Select(VmResponse.From).ToList(), total, pageNo, size));
    }

    private static async Task<Results<Ok<VmResponse>, ProblemHttpResult>> Get(Guid id, ClaimsPrincipal user, SchedulerDbContext db, CancellationToken ct)
    {
        var vm = await db.Vms.AsNoTracking().SingleOrDefaultAsync(x => x.Id == id, ct);
        if (vm is null || !user.CanSee(vm.OrganizationId)) return Problems.NotFound("VM");
        return TypedResults.Ok(VmResponse.From(vm));
    }

    private static async Task<Results<Accepted<VmResponse>, ProblemHttpResult>> Delete(
        Guid id, ClaimsPrincipal user, SchedulerDbContext db, VmOperations operations, CancellationToken ct)
    {
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var vm = await operations.LockAsync(id, ct);
        if (vm is null || !user.CanSee(vm.OrganizationId)) return Problems.NotFound("VM");
        await operations.DeleteAsync(vm, $"deleted by {user.FindFirstValue(Claims.Name) ?? "a user"}", ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return TypedResults.Accepted($"/api/v1/vms/{vm.Id}", VmResponse.From(vm));
    }

    private static async Task<Results<Accepted<VmResponse>, ValidationProblem, ProblemHttpResult>> Act(
        Guid id, VmActionRequest body, ClaimsPrincipal user, SchedulerDbContext db, VmOperations operations, CancellationToken ct)
    {
        var action = body.Action?.Trim().ToLowerInvariant();
        if (action is null || !VmOperations.Actions.Contains(action))
            return new Validator().Add("action", "must be 'start', 'stop' or 'restart'").Problem();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var vm = await operations.LockAsync(id, ct);
        if (vm is null || !user.CanSee(vm.OrganizationId)) return Problems.NotFound("VM");
        var refused = await operations.ActAsync(vm, action, ct);
        if (refused is not null) return Problems.Conflict($"Cannot {action}: {refused}.");
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return TypedResults.Accepted($"/api/v1/vms/{vm.Id}", VmResponse.From(vm));
    }

    private static int Int(Validator v, string field, string? raw, int fallback, int min, int max)
    {
        if (raw is null) return fallback;
        if (!int.TryParse(raw, out var value) || value < min || value > max)
        {
            v.Add(field, $"must be an integer between {min} and {max}");
            return fallback;
        }
        return value;
    }

    private static Guid? OptionalGuid(Validator v, string field, string? raw)
    {
        if (raw is null) return null;
        if (Guid.TryParse(raw, out var id)) return id;
        v.Add(field, "must be a UUID");
        return null;
    }
}
