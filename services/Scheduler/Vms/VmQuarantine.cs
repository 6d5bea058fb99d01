using Aetherium.Contracts;
using Aetherium.Scheduler.Persistence;
using Aetherium.Scheduler.Scheduling;
using Aetherium.ServiceDefaults.Data;
using Microsoft.EntityFrameworkCore;

namespace Aetherium.Scheduler.Vms;

/// <summary>
/// The isolation path of the scheduler's batch loops (placement, rescheduling, the deletion sweep), taken only
/// after a batch failed on a VM's stored data (<see cref="BatchFailures"/>). A VM to blame becomes failed with the
/// reason and leaves its worker (whose capacity it frees) and every queue, so no loop takes it again and the rest
/// of the batch goes on. Written in plain SQL: the row may be one EF cannot read.
/// </summary>
public static class VmQuarantine
{
    private sealed record Row(Guid Id, Guid OrganizationId, Guid? LeaseId, Guid? WorkerId, string Status,
        int CpuCores, int MemoryMb, int DiskGb, int GpuCount, bool RequiresGpu, long Version);

    /// <summary>
    /// First the rows among <paramref name="ids"/> that cannot be read at all: they fail every statement that reads
    /// them, a worker's desired set included, so they go first. Then <paramref name="process"/> runs the batch's work
    /// on the rest in halves, and each VM that still fails alone is quarantined. A transient failure is thrown.
    /// </summary>
    public static async Task IsolateAsync(IServiceScopeFactory scopes, IReadOnlyList<Guid> ids, string step,
        Func<IReadOnlyList<Guid>, CancellationToken, Task> process, TimeProvider time, ILogger log, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SchedulerDbContext>();
        Task ReadAsync(IReadOnlyList<Guid> part, CancellationToken token) => db.Vms.AsNoTracking().Where(v => part.Contains(v.Id)).ToListAsync(token);
        IReadOnlyList<(Guid Id, Exception Error)> unreadable = [];
        try
        {
            await ReadAsync(ids, ct);
        }
        catch (Exception ex) when (BatchFailures.IsDataError(ex))
        {
            unreadable = await BatchFailures.IsolateAsync(ids, ReadAsync, ct);
        }
        await QuarantineAsync(db, unreadable, step, time.GetUtcNow(), log, ct);

        var rest = ids.Except(unreadable.Select(u => u.Id)).ToList();
        try
        {
            await process(rest, ct);
        }
        catch (Exception ex) when (BatchFailures.IsDataError(ex))
        {
            await QuarantineAsync(db, await BatchFailures.IsolateAsync(rest, process, ct), step, time.GetUtcNow(), log, ct);
        }
    }

    /// <summary>
    /// Quarantines the VMs in one transaction (several spoiled rows on one worker leave it together, or its new
    /// desired set could not be read); <paramref name="step"/> names what failed ("placement"…).
    /// </summary>
    public static async Task QuarantineAsync(SchedulerDbContext db, IReadOnlyList<(Guid Id, Exception Error)> vms, string step,
        DateTimeOffset now, ILogger log, CancellationToken ct)
    {
        if (vms.Count == 0) return;
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var freed = new Dictionary<Guid, Allocation>();
        var quarantined = new List<(Row Row, string Reason)>();
        foreach (var (id, error) in vms.OrderBy(v => v.Id))
        {
            var row = (await db.Database.SqlQuery<Row>($"""
                SELECT id AS "Id", organization_id AS "OrganizationId", lease_id AS "LeaseId", worker_id AS "WorkerId", status AS "Status",
                       cpu_cores AS "CpuCores", memory_mb AS "MemoryMb", disk_gb AS "DiskGb", gpu_count AS "GpuCount",
                       requires_gpu AS "RequiresGpu", version AS "Version"
                FROM vms WHERE id = {id} FOR UPDATE
                """).ToListAsync(ct)).SingleOrDefault();
            if (row is null || row.Status is VmStatus.Deleted || (row.Status == VmStatus.Failed && row.WorkerId is null)) continue;
            var reason = $"{step} failed on this VM's stored data: {BatchFailures.Describe(error, 900)}";
            await db.Database.ExecuteSqlAsync($"""
                UPDATE vms SET status = {VmStatus.Failed}, status_reason = {reason}, worker_id = NULL, migrated_from = NULL,
                    checked_at = NULL, deleting_since = NULL, version = version + 1, updated_at = {now}
                WHERE id = {id}
                """, ct);
            db.Publish(new VmStateChanged(id, row.OrganizationId, row.LeaseId, null, row.Status, VmStatus.Failed, reason, row.Version + 1, now, null, null));
            // A VM in its worker's desired set holds capacity there; a deleting one gave it back already.
            if (row.WorkerId is Guid worker && VmStates.InDesiredSet(row.Status))
                freed[worker] = freed.GetValueOrDefault(worker)
                    + new Allocation(row.CpuCores, row.MemoryMb, row.DiskGb, Math.Max(row.GpuCount, row.RequiresGpu ? 1 : 0), 1);
            quarantined.Add((row, reason));
        }
        foreach (var (worker, allocation) in freed.OrderBy(f => f.Key))
            await DesiredStates.ChangeAsync(db, worker, allocation, now, ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        db.ChangeTracker.Clear();
        foreach (var (row, reason) in quarantined)
            log.LogWarning("VM {VmId} (organization {OrganizationId}, was {Status}) quarantined as failed; the rest of its batch went on without it: {Reason}",
                row.Id, row.OrganizationId, row.Status, reason);
    }
}
