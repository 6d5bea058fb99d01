using Aetherium.Contracts;
using Aetherium.Inventory.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Aetherium.Inventory.Health;

/// <summary>
/// Marks active and draining workers offline when they have not heartbeated within Inventory:OfflineTimeout
/// (counted from the later of the last heartbeat and the last status change, so a worker just activated
/// gets a full timeout). Maintenance workers are not watched: their agents are refused on purpose. After a
/// restart, a worker not seen since this detector began watching is given the restart grace period (its agent
/// may still be reconnecting); one seen since and silent again is judged by the timeout alone.
/// Run by the leader only (<see cref="DetectorLeadership"/>); the conditional claim keeps it exactly-once anyway.
/// </summary>
public sealed class OfflineDetector(IServiceScopeFactory scopes, IOptions<InventoryOptions> options, TimeProvider clock, ILogger<OfflineDetector> log)
{
    public const int BatchSize = 500;

    /// <summary>Marks every overdue worker offline, in batches; returns how many.</summary>
    /// <param name="watchingSince">when this detector began watching (its leadership began)</param>
    /// <param name="graceUntil">until then, workers not seen since <paramref name="watchingSince"/> are left alone</param>
    public async Task<int> SweepAsync(DateTimeOffset watchingSince, DateTimeOffset graceUntil, CancellationToken ct)
    {
        var total = 0;
        while (true)
        {
            var marked = await SweepBatchAsync(watchingSince, graceUntil, ct);
            total += marked;
            if (marked < BatchSize) return total;
        }
    }

    private async Task<int> SweepBatchAsync(DateTimeOffset watchingSince, DateTimeOffset graceUntil, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<InventoryDbContext>();
        var now = clock.GetUtcNow();
        var cutoff = now - options.Value.OfflineTimeout;
        var graceOver = now >= graceUntil;
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        // Rows a heartbeat flush holds are skipped: that flush is proof of life; the next sweep looks again.
        var overdue = await db.Workers.FromSql($"""
            SELECT * FROM workers
            WHERE status IN ('active', 'draining') AND deleted_at IS NULL
              AND greatest(last_heartbeat_at, status_changed_at) < {cutoff}
              AND ({graceOver} OR greatest(last_heartbeat_at, status_changed_at) >= {watchingSince})
            ORDER BY id
            LIMIT {BatchSize}
            FOR UPDATE SKIP LOCKED
            """).ToListAsync(ct);
        foreach (var w in overdue)
        {
            var old = w.MoveTo(WorkerStatus.Offline, "no heartbeat within the timeout", now);
            db.Publish(new WorkerStatusChanged(w.ToSnapshot(), old, w.Status, w.StatusReason, now));
        }
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        if (overdue.Count > 0)
            log.LogInformation("Marked {Count} worker(s) offline: no heartbeat for {Timeout}", overdue.Count, options.Value.OfflineTimeout);
        return overdue.Count;
    }

    /// <summary>Deletes metrics samples older than Inventory:MetricsRetention.</summary>
    public async Task<int> PruneMetricsAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<InventoryDbContext>();
        var cutoff = clock.GetUtcNow() - options.Value.MetricsRetention;
        return await db.MetricSamples.Where(m => m.SampledAt < cutoff).ExecuteDeleteAsync(ct);
    }
}
