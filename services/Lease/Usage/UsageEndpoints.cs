using System.Globalization;
using Aetherium.Lease.Leases;
using Aetherium.Lease.Persistence;
using Aetherium.Lease.Pricing;
using Aetherium.ServiceDefaults.Auth;
using Aetherium.ServiceDefaults.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Aetherium.Lease.Usage;

public static class UsageEndpoints
{
    /// <summary>A report covers at most a year (and per day, so at most 367 days).</summary>
    public static readonly TimeSpan MaxPeriod = TimeSpan.FromDays(366);

    public static void MapUsage(this IEndpointRouteBuilder app) =>
        app.MapGet("/api/v1/usage", Get).WithTags("Usage").RequireAuthorization(AuthenticationSetup.TenantPolicy)
            .WithSummary("An organisation's leases, VM-hours and cost over a period")
            .WithDescription("from (default: the first of this month, UTC) and to (default: now) are ISO 8601 times; the period is [from, to) "
                + "and at most 366 days. A lease's billed VM-hours and charge (per started minute from its start) are spread over the "
                + "time it was used (start to release, expiry or now); the period counts the share inside it. Users see their organisation; an admin may pass "
                + "organization_id (without it: every organisation).");

    private static async Task<Results<Ok<UsageReport>, ValidationProblem, ProblemHttpResult>> Get(
        HttpContext http, LeaseDbContext db, string? from, string? to,
        [FromQuery(Name = "organization_id")] Guid? organizationId, CancellationToken ct)
    {
        var now = Clock.Now();
        var v = new Validator();
        var end = Parse(v, to, "to") ?? now;
        var start = Parse(v, from, "from") ?? new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero);
        if (v.Failed) return v.Problem();
        if (start >= end) v.Add("from", "must be before to");
        else if (end - start > MaxPeriod) v.Add("to", $"must be at most {MaxPeriod.TotalDays:0} days after from");
        if (v.Failed) return v.Problem();

        Guid? org = organizationId;
        if (!http.User.IsAdmin())
        {
            var own = http.User.OrganizationId();
            if (organizationId is Guid asked && asked != own)
                return Problems.Forbidden("Only an admin may see another organisation's usage.");
            org = own;
        }

        // Billed time ends at most a started minute after the lease's end, so this is a superset of the leases that count.
        var earliestEnd = start - Billing.Unit;
        var query = db.Leases.AsNoTracking().Where(l => l.LeasedFrom < end && (l.EndedAt == null || l.EndedAt >= earliestEnd));
        if (org is Guid o) query = query.Where(l => l.OrganizationId == o);
        var rows = await query
            .Select(l => new UsageReport.Row(l.LeasedFrom, l.LeasedUntil, l.EndedAt, l.HourlyCost, l.TotalCost, l.Currency, l.Vms.Count))
            .ToListAsync(ct);
        var currency = await db.PricingTiers.AsNoTracking().OrderBy(t => t.Id).Select(t => t.Currency).FirstOrDefaultAsync(ct) ?? "USD";
        return TypedResults.Ok(UsageReport.Build(org, start, end, now, rows, currency));
    }

    private static DateTimeOffset? Parse(Validator v, string? value, string field)
    {
        if (value is null) return null;
        if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
            return parsed.ToUniversalTime();
        v.Add(field, "must be an ISO 8601 time such as 2026-12-01 or 2026-12-01T00:00:00Z");
        return null;
    }
}
