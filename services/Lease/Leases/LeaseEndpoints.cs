using Aetherium.Contracts;
using Aetherium.Lease.Persistence;
using Aetherium.Lease.Pricing;
using Aetherium.ServiceDefaults.Auth;
using Aetherium.ServiceDefaults.Data;
using Aetherium.ServiceDefaults.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Aetherium.Lease.Leases;

public static class LeaseEndpoints
{
    public sealed record LeaseList(IReadOnlyList<LeaseView> Leases, int Total, int Page, int Limit);
    public sealed record ExtendResponse(Guid LeaseId, DateTimeOffset NewEndAt, decimal AddedCost, decimal TotalCost, string Currency);
    public sealed record ReleaseResponse(Guid LeaseId, string Status, DateTimeOffset EndedAt, LeaseCost Cost);

    public static void MapLeases(this IEndpointRouteBuilder app)
    {
        var leases = app.MapGroup("/api/v1/leases").WithTags("Leases").RequireAuthorization(AuthenticationSetup.TenantPolicy);
        leases.MapPost("", Rent).Accepts<RentRequest>("application/json")
            .WithSummary("Rent VMs for a duration (creates them through the scheduler)");
        leases.MapGet("", List).WithSummary("Leases of the caller's organisation (admin: all)");
        leases.MapGet("/{id:guid}", Get).WithSummary("One lease, its VMs, cost and access details");
        leases.MapPost("/{id:guid}/extend", Extend).Accepts<ExtendRequest>("application/json")
            .WithSummary("Push the end of an active lease back");
        leases.MapPost("/{id:guid}/release", Release)
            .WithSummary("End a lease now and delete its VMs; it is charged per started minute used");
    }

    private static async Task<Results<Created<LeaseView>, ValidationProblem, ProblemHttpResult>> Rent(
        HttpContext http, LeaseDbContext db, IOptions<LeaseSettings> options, ILoggerFactory logs, CancellationToken ct)
    {
        var body = await JsonBody.ReadAsync<RentRequest>(http.Request, ct);
        if (body.Problem is not null) return body.Problem;
        var settings = options.Value;
        var v = new Validator();
        var plan = LeaseRules.Check(v, body.Value!, settings);
        if (plan is null) return v.Problem();
        var organizationId = http.User.OrganizationId();
        if (organizationId == Guid.Empty) return Problems.Forbidden("Renting needs an account that belongs to an organisation.");

        var tierId = Costs.TierFor(plan.Spec);
        var tier = await db.PricingTiers.AsNoTracking().SingleOrDefaultAsync(t => t.Id == tierId, ct);
        if (tier is null) return Problems.Unprocessable($"No pricing tier '{tierId}' is configured, so this spec cannot be rented.");

        var now = Clock.Now();
        var id = NewId.Next();
        var name = plan.Name ?? $"lease-{id.ToString("N")[^8..]}";
        var password = plan.SshPublicKey is null ? Passwords.Generate() : null;
        var hourly = Costs.Hourly(tier, plan.Spec, plan.Count);
        var lease = new LeaseEntity
        {
            Id = id,
            OrganizationId = organizationId,
            UserId = http.User.UserId(),
            Name = name,
            LeasedFrom = now,
            LeasedUntil = now + plan.Duration,
            Spec = plan.Spec,
            TierId = tier.Id,
            Currency = tier.Currency,
            HourlyCost = hourly,
            TotalCost = Costs.For(hourly, plan.Duration),
            Username = settings.Username,
            AuthKind = password is null ? AuthKind.SshKey : AuthKind.Password,
            SshPublicKey = plan.SshPublicKey,
            PasswordHash = password is null ? null : Passwords.Hash(password),
            CreatedAt = now,
            Vms = Enumerable.Range(1, plan.Count).Select(i => new LeaseVm
            {
                Id = NewId.Next(), LeaseId = id, Index = i, Name = $"{name}-{i}", Status = VmStatus.Pending, UpdatedAt = now,
            }).ToList(),
        };
        db.Leases.Add(lease);
        // Each VM is given the lease's sign-in: the key, or only the hash of the password shown in this answer.
        var access = new VmAccess(lease.Username, lease.SshPublicKey, lease.PasswordHash);
        foreach (var vm in lease.Vms)
            db.Publish(new CreateVm(vm.Id, organizationId, id, vm.Name, plan.Spec, access));
        db.Publish(new LeaseCreated(id, organizationId, lease.UserId, lease.Vms.Select(x => x.Id).ToList(), lease.LeasedFrom, lease.LeasedUntil, now));
        await db.SaveChangesAsync(ct);

        LeaseMetrics.Created.Add(1);
        Log(logs).LogInformation("Lease {LeaseId} rented for organisation {OrganizationId}: {Count} VM(s) until {LeasedUntil:o}",
            id, organizationId, plan.Count, lease.LeasedUntil);
        return TypedResults.Created($"/api/v1/leases/{id}", LeaseView.From(lease, password));
    }

    private static async Task<Results<Ok<LeaseList>, ValidationProblem>> List(
        HttpContext http, LeaseDbContext db, string? status, int? page, int? limit,
        [FromQuery(Name = "organization_id")] Guid? organizationId, CancellationToken ct)
    {
        var v = new Validator();
        if (status is not null) v.Require(LeaseStatus.All.Contains(status), "status", $"must be one of {string.Join(", ", LeaseStatus.All)}");
        v.Require(page is null or >= 1, "page", "must be at least 1");
        v.Require(limit is null or (>= 1 and <= 100), "limit", "must be between 1 and 100");
        if (v.Failed) return v.Problem();
        int p = page ?? 1, l = limit ?? 20;

        var query = db.Leases.AsNoTracking();
        if (!http.User.IsAdmin())
        {
            var own = http.User.OrganizationId();
            query = query.Where(x => x.OrganizationId == own);
        }
        if (organizationId is Guid org) query = query.Where(x => x.OrganizationId == org);
        if (status is not null) query = query.Where(x => x.Status == status);
        var total = await query.CountAsync(ct);
        var rows = await query.OrderByDescending(x => x.CreatedAt).ThenBy(x => x.Id)
            .Skip((p - 1) * l).Take(l).Include(x => x.Vms).AsSplitQuery().ToListAsync(ct);
        return TypedResults.Ok(new LeaseList(rows.Select(x => LeaseView.From(x)).ToList(), total, p, l));
    }

    private static async Task<Results<Ok<LeaseView>, ProblemHttpResult>> Get(Guid id, HttpContext http, LeaseDbContext db, CancellationToken ct)
    {
        var lease = await db.Leases.AsNoTracking().Include(x => x.Vms).SingleOrDefaultAsync(x => x.Id == id, ct);
        // Another organisation's lease is as absent as one that does not exist.
        if (lease is null || !http.User.CanSee(lease.OrganizationId)) return Problems.NotFound("Lease");
        return TypedResults.Ok(LeaseView.From(lease));
    }

    private static async Task<Results<Ok<ExtendResponse>, ValidationProblem, ProblemHttpResult>> Extend(
        Guid id, HttpContext http, LeaseDbContext db, IOptions<LeaseSettings> options, ILoggerFactory logs, CancellationToken ct)
    {
        var body = await JsonBody.ReadAsync<ExtendRequest>(http.Request, ct);
        if (body.Problem is not null) return body.Problem;
        var v = new Validator();
        var additional = LeaseRules.Check(v, body.Value!, options.Value);
        if (additional is null) return v.Problem();

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var (lease, refusal) = await LockActiveAsync(db, id, http, "extended", ct);
        if (lease is null) return refusal!;
        var now = Clock.Now();
        var added = Costs.For(lease.HourlyCost, additional.Value);
        lease.LeasedUntil += additional.Value;
        lease.TotalCost += added;
        db.Publish(new LeaseExtended(lease.Id, lease.OrganizationId, lease.LeasedUntil, now));
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        Log(logs).LogInformation("Lease {LeaseId} extended until {LeasedUntil:o}", lease.Id, lease.LeasedUntil);
        return TypedResults.Ok(new ExtendResponse(lease.Id, lease.LeasedUntil, added, lease.TotalCost, lease.Currency));
    }

    private static async Task<Results<Ok<ReleaseResponse>, ProblemHttpResult>> Release(
        Guid id, HttpContext http, LeaseDbContext db, ILoggerFactory logs, CancellationToken ct)
    {
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var (lease, refusal) = await LockActiveAsync(db, id, http, "released", ct);
        if (lease is null) return refusal!;
        var now = Clock.Now();
        await LeaseEnding.EndAsync(db, [lease.Id], LeaseStatus.Released, now, ct);
        await tx.CommitAsync(ct);
        LeaseMetrics.Released.Add(1);
        Log(logs).LogInformation("Lease {LeaseId} released; deletion of its VMs ordered", lease.Id);
        var cost = LeaseCost.Of(lease.Currency, lease.TierId, lease.HourlyCost, lease.TotalCost, lease.LeasedFrom, lease.LeasedUntil, now);
        return TypedResults.Ok(new ReleaseResponse(lease.Id, LeaseStatus.Released, now, cost));
    }

    private static ILogger Log(ILoggerFactory logs) => logs.CreateLogger(typeof(LeaseEndpoints));

    /// <summary>
    /// Locks the lease row for this transaction and checks it can still change. The expiry loop skips
    /// locked rows and an extension or release waits for the loop's lock, so the two never both win.
    /// </summary>
    private static async Task<(LeaseEntity? Lease, ProblemHttpResult? Refusal)> LockActiveAsync(
        LeaseDbContext db, Guid id, HttpContext http, string verb, CancellationToken ct)
    {
        var lease = await db.Leases.FromSql($"SELECT * FROM leases WHERE id = {id} FOR UPDATE").SingleOrDefaultAsync(ct);
        if (lease is null || !http.User.CanSee(lease.OrganizationId)) return (null, Problems.NotFound("Lease"));
        if (lease.Status != LeaseStatus.Active) return (null, Problems.Conflict($"The lease is {lease.Status}; it cannot be {verb}."));
        if (lease.LeasedUntil <= DateTimeOffset.UtcNow)
            return (null, Problems.Conflict($"The lease ended at {lease.LeasedUntil:o} and is being expired; it cannot be {verb}."));
        return (lease, null);
    }
}
