using Aetherium.Lease.Persistence;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Aetherium.Lease.Pricing;

public static class PricingEndpoints
{
    public sealed record TierView(string Id, string Name, decimal PricePerVcpuHour, decimal PricePerGbMemoryHour,
        decimal PricePerGbDiskHour, decimal PricePerGpuHour, string Currency);
    public sealed record TierList(IReadOnlyList<TierView> Tiers);

    public static void MapPricing(this IEndpointRouteBuilder app) =>
        app.MapGet("/api/v1/pricing", List).AllowAnonymous().WithTags("Pricing").WithSummary("The price list leases are charged by");

    private static async Task<Ok<TierList>> List(LeaseDbContext db, CancellationToken ct)
    {
        var tiers = await db.PricingTiers.AsNoTracking().OrderBy(t => t.PricePerGpuHour).ThenBy(t => t.Id)
            .Select(t => new TierView(t.Id, t.Name, t.PricePerVcpuHour, t.PricePerGbMemoryHour, t.PricePerGbDiskHour, t.PricePerGpuHour, t.Currency))
            .ToListAsync(ct);
        return TypedResults.Ok(new TierList(tiers));
    }
}
