using Aetherium.Contracts;
using Aetherium.Inventory.Persistence;
using Aetherium.Inventory.Workers;
using Aetherium.ServiceDefaults.Data;
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
        var now = clock.GetUtcNow();
        var sweep = new Sweep(now - options.Value.OfflineTimeout, watchingSince, now >= graceUntil);
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<InventoryDbContext>();
        List<Guid> overdue;
        await using (var tx = await db.Database.BeginTransactionAsync(ct))
        {
            overdue = await OverdueAsync(db, sweep, null, ct);
            try
            {
                await MarkOfflineAsync(db, overdue, now, ct);
                await tx.CommitAsync(ct);
                Report(overdue.Count);
                return overdue.Count;
            }
            catch (Exception ex) when (BatchFailures.IsDataError(ex))
            {
                await tx.RollbackAsync(ct);
            }
        }
        // A row that cannot be read (jsonb of the wrong shape, say) fails the whole batch: the others are marked
        // in halves, each half on its own, and each row that still fails alone is quarantined without being read.
        var marked = 0;
        var unreadable = await BatchFailures.IsolateAsync(overdue, async (part, token) => marked += await MarkOfflineAloneAsync(sweep, part, now, token), ct);
        foreach (var (id, error) in unreadable)
            if (await QuarantineAsync(db, sweep, id, error, now, ct)) marked++;
        Report(marked);
        return overdue.Count;
    }

    private void Report(int marked)
    {
        if (marked > 0)
            log.LogInformation("Marked {Count} worker(s) offline: no heartbeat for {Timeout}", marked, options.Value.OfflineTimeout);
    }

    /// <summary>What one pass treats as overdue: silent since before <see cref="Cutoff"/>, and seen since watching began unless the grace is over.</summary>
    private sealed record Sweep(DateTimeOffset Cutoff, DateTimeOffset WatchingSince, bool GraceOver);

    /// <summary>
    /// Locks and returns the overdue workers (of <paramref name="among"/> when given) without reading their rows.
    /// Rows a heartbeat flush holds are skipped: that flush is proof of life; the next sweep looks again.
    /// </summary>
    private static Task<List<Guid>> OverdueAsync(InventoryDbContext db, Sweep s, Guid[]? among, CancellationToken ct) =>
        db.Database.SqlQuery<Guid>(among is null
            ? (FormattableString)$"""
                SELECT id AS "Value" FROM workers
                WHERE status IN ('active', 'draining') AND deleted_at IS NULL
                  AND greatest(last_heartbeat_at, status_changed_at) < {s.Cutoff}
                  AND ({s.GraceOver} OR greatest(last_heartbeat_at, status_changed_at) >= {s.WatchingSince})
                ORDER BY id
                LIMIT {BatchSize}
                FOR UPDATE SKIP LOCKED
                """
            : $"""
                SELECT id AS "Value" FROM workers
                WHERE status IN ('active', 'draining') AND deleted_at IS NULL AND id = ANY({among})
                  AND greatest(last_heartbeat_at, status_changed_at) < {s.Cutoff}
                  AND ({s.GraceOver} OR greatest(last_heartbeat_at, status_changed_at) >= {s.WatchingSince})
                ORDER BY id
                FOR UPDATE SKIP LOCKED
                """).ToListAsync(ct);

    /// <summary>Marks the locked workers offline and publishes each change; the caller's transaction commits it.</summary>
    private static async Task MarkOfflineAsync(InventoryDbContext db, List<Guid> ids, DateTimeOffset now, CancellationToken ct)
    {
        var workers = await db.Workers.Where(w => ids.Contains(w.Id)).OrderBy(w => w.Id).ToListAsync(ct);
        foreach (var w in workers)
        {
            var old = w.MoveTo(WorkerStatus.Offline, "no heartbeat within the timeout", now);
            db.Publish(new WorkerStatusChanged(w.ToSnapshot(), old, w.Status, w.StatusReason, now));
        }
        await db.SaveChangesAsync(ct);
    }

    /// <summary>One part of an isolation pass: its own scope and transaction, the rows still overdue only.</summary>
    private async Task<int> MarkOfflineAloneAsync(Sweep s, IReadOnlyList<Guid> part, DateTimeOffset now, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<InventoryDbContext>();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var ids = await OverdueAsync(db, s, part.ToArray(), ct);
        await MarkOfflineAsync(db, ids, now, ct);
        await tx.CommitAsync(ct);
        return ids.Count;
    }

    /// <summary>The columns of a quarantined worker that a snapshot needs, read without its jsonb.</summary>
    private sealed record Readable(Guid Id, Guid OrganizationId, string Name, string? Hostname, string? IpAddress, string? PublicIpAddress,
        string Zone, string OldStatus, string[] Runtimes, int CpuCores, long MemoryMb, long DiskGb, int MaxVms, long Version,
        DateTimeOffset? DrainDeadline, int DrainMaxParallel, string[]? SupportedImages);

    /// <summary>
    /// Quarantines an overdue worker whose row cannot be read: marked offline in plain SQL (the same columns
    /// <see cref="Worker.MoveTo"/> sets, a drain kept), the reason naming the error, and announced with a snapshot
    /// whose labels and GPUs are empty (they are what cannot be read), so the scheduler stops placing there and
    /// moves its VMs as for any offline worker. Offline, it is out of every later sweep: it is not retried.
    /// </summary>
    private async Task<bool> QuarantineAsync(InventoryDbContext db, Sweep s, Guid id, Exception error, DateTimeOffset now, CancellationToken ct)
    {
        var reason = BatchFailures.Clean($"no heartbeat within the timeout; stored data unreadable: {BatchFailures.Describe(error)}", 200);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var row = (await db.Database.SqlQuery<Readable>($"""
            UPDATE workers SET
                status_before_offline = status,
                drain_deadline = CASE WHEN status = 'draining' THEN drain_deadline END,
                drain_max_parallel = CASE WHEN status = 'draining' THEN drain_max_parallel ELSE 1 END,
                status = 'offline', status_reason = {reason}, status_changed_at = {now}, version = version + 1, updated_at = {now}
            WHERE id = {id} AND status IN ('active', 'draining') AND deleted_at IS NULL
              AND greatest(last_heartbeat_at, status_changed_at) < {s.Cutoff}
            RETURNING id AS "Id", organization_id AS "OrganizationId", name AS "Name", hostname AS "Hostname", ip_address AS "IpAddress",
                public_ip_address AS "PublicIpAddress", zone AS "Zone", status_before_offline AS "OldStatus", runtimes AS "Runtimes",
                cpu_cores AS "CpuCores", memory_mb AS "MemoryMb", disk_gb AS "DiskGb", max_vms AS "MaxVms", version AS "Version",
                drain_deadline AS "DrainDeadline", drain_max_parallel AS "DrainMaxParallel", supported_images AS "SupportedImages"
            """).ToListAsync(ct)).SingleOrDefault();
        if (row is null)
        {
            await tx.RollbackAsync(ct);
            return false;
        }
        var address = string.IsNullOrEmpty(row.PublicIpAddress) ? row.IpAddress : row.PublicIpAddress;
        var snapshot = new WorkerSnapshot(row.Id, row.OrganizationId, row.Name, row.Hostname, address, row.Zone, WorkerStatus.Offline,
            new Dictionary<string, string>(), row.Runtimes, row.CpuCores, row.MemoryMb, row.DiskGb, [], row.MaxVms, row.Version,
            row.DrainDeadline, row.DrainMaxParallel, row.SupportedImages);
        db.Publish(new WorkerStatusChanged(snapshot, row.OldStatus, WorkerStatus.Offline, reason, now));
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        log.LogWarning("Worker {WorkerId} (organization {OrganizationId}, was {Status}) quarantined: marked offline without reading its row, which cannot be read; the other workers of its batch went on: {Reason}",
            row.Id, row.OrganizationId, row.OldStatus, reason);
        return true;
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
