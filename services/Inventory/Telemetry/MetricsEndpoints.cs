using System.Globalization;
using System.Security.Claims;
using System.Text.Json;
using Aetherium.Contracts.Agent;
using Aetherium.Inventory.Persistence;
using Aetherium.Inventory.Workers;
using Aetherium.ServiceDefaults.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Aetherium.Inventory.Telemetry;

public sealed record MetricPoint(DateTimeOffset Timestamp, double CpuUsagePercent, double MemoryUsagePercent, double DiskUsagePercent,
    UsageFigures? Cpu, UsageFigures? Memory, UsageFigures? Disk, NetworkFigures? Network, IReadOnlyList<Contracts.GpuInfo>? Gpus);

public sealed record MetricsHistory(Guid WorkerId, DateTimeOffset From, DateTimeOffset To, IReadOnlyList<MetricPoint> Samples, int Total,
    bool Truncated, DateTimeOffset? NextFrom);

/// <summary>
/// GET /workers/{id}/metrics?from=&amp;to=&amp;limit=: the TELEMETRY_METRICS samples received in [from, to), oldest first
/// (default: the last hour). At most Inventory:MetricsMaxPoints per answer; when more exist, truncated is true and
/// next_from is where the next page starts.
/// </summary>
public static class MetricsEndpoints
{
    public static void MapWorkerMetrics(this RouteGroupBuilder g) => g.MapGet("/{id:guid}/metrics", History);

    private static async Task<Results<Ok<MetricsHistory>, ValidationProblem, ProblemHttpResult>> History(
        Guid id, string? from, string? to, string? limit, ClaimsPrincipal user, InventoryDbContext db,
        IOptions<InventoryOptions> options, TimeProvider clock, CancellationToken ct)
    {
        var v = new Validator();
        var now = clock.GetUtcNow();
        var end = ParseTime(v, "to", to) ?? now;
        var start = ParseTime(v, "from", from) ?? end.AddHours(-1);
        var cap = options.Value.MetricsMaxPoints;
        var size = cap;
        if (limit is not null)
        {
            if (int.TryParse(limit, out var n) && n >= 1) size = Math.Min(n, cap);
            else v.Add("limit", "must be a whole number of at least 1");
        }
        if (!v.Failed) v.Require(start < end, "from", "must be before to");
        if (v.Failed) return v.Problem();
        if (await db.FindVisibleAsync(id, user, ct, track: false) is null) return Problems.NotFound("Worker");

        var rows = await db.MetricSamples.AsNoTracking()
            .Where(m => m.WorkerId == id && m.SampledAt >= start && m.SampledAt < end)
            .OrderBy(m => m.SampledAt).ThenBy(m => m.Id)
            .Take(size + 1)
            .ToListAsync(ct);
        var truncated = rows.Count > size;
        if (truncated) rows.RemoveAt(rows.Count - 1);
        var points = rows.Select(r =>
        {
            var d = JsonSerializer.Deserialize<MetricsData>(r.Data, AgentJson.Options);
            return new MetricPoint(r.SampledAt, r.CpuUsagePercent, r.MemoryUsagePercent, r.DiskUsagePercent, d?.Cpu, d?.Memory, d?.Disk, d?.Network, d?.Gpus);
        }).ToList();
        // PostgreSQL keeps microseconds: the next page starts one microsecond after the last sample shown.
        DateTimeOffset? next = truncated ? rows[^1].SampledAt.AddTicks(10) : null;
        return TypedResults.Ok(new MetricsHistory(id, start, end, points, points.Count, truncated, next));
    }

    private static DateTimeOffset? ParseTime(Validator v, string field, string? raw)
    {
        if (raw is null) return null;
        if (DateTimeOffset.TryParse(raw, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t))
            return t.ToUniversalTime();
        v.Add(field, "must be an ISO-8601 timestamp, e.g. 2025-11-02T10:00:00Z");
        return null;
    }
}
