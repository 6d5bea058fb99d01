using System.Runtime.CompilerServices;
using Aetherium.Contracts;
using Aetherium.Scheduler.Images;
using Aetherium.Scheduler.Persistence;
using Aetherium.Scheduler.Placement;
using Aetherium.Scheduler.Vms;
using Aetherium.Scheduler.Workers;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Aetherium.Scheduler.Scheduling;

/// <summary>
/// One placement transaction: claim a batch of queued VMs (FOR UPDATE SKIP LOCKED, so replicas take
/// different VMs), decide each against this replica's view of the fleet, then commit per worker with
/// a conditional UPDATE of its allocation. A refused update means another replica took the capacity:
/// that worker is refreshed and its VMs stay queued for the next round. VMs that fit nowhere become
/// unschedulable with the reason.
/// </summary>
public sealed class PlacementBatch(
    SchedulerDbContext db,
    FleetView view,
    Placer placer,
    ImageCatalog catalog,
    PlacementStats stats,
    IOptions<SchedulerOptions> options,
    TimeProvider time,
    ILogger<PlacementBatch> log)
{
    public readonly record struct Outcome(int Claimed, int Placed, int Unschedulable, int Refused);

    private readonly SchedulerOptions _options = options.Value;

    /// <summary>
    /// The placement queue, as the queue index's own predicate ({0}: when an unschedulable VM is looked at again).
    /// Written so that the index is scanned in queue order and the scan stops after the batch: a bitmap scan of it
    /// read every entry left by VMs that already went (15,000 of them after 15,000 placements, until autovacuum
    /// came), and a plain index scan marks those dead as it goes.
    /// </summary>
    private const string Queue = """
        status IN ('pending', 'migrating', 'unschedulable')
          AND (status <> 'unschedulable' OR checked_at IS NULL OR checked_at < {0}
               OR checked_at < (SELECT max(capacity_changed_at) FROM scheduler_workers))
        """;

    /// <summary>The ids of the next batch, oldest first, without reading (or locking) the rows: where isolation starts.</summary>
    public async Task<List<Guid>> QueuedAsync(CancellationToken ct)
    {
        var retryBefore = time.GetUtcNow() - _options.UnschedulableRetryInterval;
        return await db.Database.SqlQuery<Guid>(FormattableStringFactory.Create(
            $"SELECT id AS \"Value\" FROM vms WHERE {Queue} ORDER BY queued_at LIMIT {{1}}", retryBefore, _options.BatchSize)).ToListAsync(ct);
    }

    /// <summary>Places the next batch of the queue, or (<paramref name="only"/>) those of the given queued VMs no one else holds.</summary>
    public async Task<Outcome> RunAsync(CancellationToken ct, IReadOnlyList<Guid>? only = null)
    {
        await view.SyncAsync(db, ct);
        // Capacity committed after this moment may be missing from the view: such VMs are tried again.
        var checkedAt = view.SyncedAt - FleetView.CommitMargin;
        var retryBefore = view.SyncedAt - _options.UnschedulableRetryInterval;
        var images = await catalog.GetAsync(db, ct);
        var now = time.GetUtcNow();

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var batch = await db.Vms.FromSql(only is null
            ? FormattableStringFactory.Create($"SELECT * FROM vms WHERE {Queue} ORDER BY queued_at LIMIT {{1}} FOR UPDATE SKIP LOCKED",
                retryBefore, _options.BatchSize)
            : FormattableStringFactory.Create($"SELECT * FROM vms WHERE id = ANY({{1}}) AND {Queue} ORDER BY queued_at FOR UPDATE SKIP LOCKED",
                retryBefore, only.ToArray())).ToListAsync(ct);
        if (batch.Count == 0)
        {
            await tx.CommitAsync(ct);
            return default;
        }

        // The batch reads its tracked VMs back once per worker (desired sets, ports): with automatic change
        // detection each read compared every property of every tracked row, a third of the scheduler's CPU.
        // Changes are detected once, before the save.
        db.ChangeTracker.AutoDetectChangesEnabled = false;
        var working = (WorkerView[])view.Current.Clone();
        var groups = new Dictionary<int, List<Vm>>();
        var unschedulable = 0;
        placer.BeginBatch();
        try
        {
            foreach (var vm in batch)
            {
                var request = PlacementRequests.For(vm, images, _options.Scoring);
                var result = placer.Place(request, working);
                if (!result.Placed)
                {
                    MarkUnschedulable(vm, result.Reason, checkedAt, now);
                    unschedulable++;
                    continue;
                }
                working[result.Index] = working[result.Index].Allocate(request);
                if (!groups.TryGetValue(result.Index, out var group)) groups[result.Index] = group = [];
                group.Add(vm);
            }
        }
        finally
        {
            placer.EndBatch(working.Length);
        }

        // The commit makes a handful of statements for the whole batch, however many workers it landed on:
        // allocate on all of them, read what runs on and beside them, record their port cursors, save.
        var placed = 0;
        var refused = 0;
        var refusedWorkers = new List<Guid>();
        var chosen = groups.Select(g => (Worker: working[g.Key].Id, Vms: g.Value)).OrderBy(g => g.Worker).ToList();
        var rows = await DesiredStates.TryAllocateAsync(db, chosen.Select(g => (g.Worker, Allocation.Of(g.Vms))).ToList(),
            _options.PortRange.Size, ct);
        var committed = chosen.Where(g => rows.ContainsKey(g.Worker)).Select(g => (Row: rows[g.Worker], g.Vms)).ToList();
        foreach (var (worker, vms) in chosen.Where(g => !rows.ContainsKey(g.Worker)))
        {
            refused += vms.Count;
            refusedWorkers.Add(worker);
        }
        if (committed.Count > 0)
        {
            // Stored rows as committed; this unit of work's own (the batch's VMs, and the choices already made for
            // other workers of the batch) are read from the change tracker instead.
            var tracked = db.Vms.Local.ToList();
            var trackedIds = tracked.Select(v => v.Id).ToHashSet();
            var stored = (await NeighbourhoodAsync(committed.Select(c => c.Row).ToList(), ct)).Where(v => !trackedIds.Contains(v.Id)).ToList();
            foreach (var (row, vms) in committed)
            {
                Assign(row, vms, stored, tracked, now);
                placed += vms.Count;
            }
            var ids = committed.Select(c => c.Row.Id).ToArray();
            var cursors = committed.Select(c => c.Row.NextPort).ToArray();
            await db.Database.ExecuteSqlAsync($"""
                UPDATE scheduler_workers AS w SET next_port = d.next_port
                FROM unnest({ids}, {cursors}) AS d(id, next_port) WHERE w.id = d.id
                """, ct);
        }
        db.ChangeTracker.DetectChanges();
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);

        foreach (var (row, _) in committed) view.Apply(row);
        foreach (var workerId in refusedWorkers) await view.RefreshAsync(db, workerId, ct);
        stats.Record(placed, refused, unschedulable);
        if (refused > 0) log.LogInformation("{Refused} placements refused: another replica took the capacity first; retrying", refused);
        return new Outcome(batch.Count, placed, unschedulable, refused);
    }

    /// <summary>
    /// One read for the whole batch: the stored VMs on the given workers (their desired sets, and their deleting
    /// VMs, which may still hold a port until the agent catches up) and every VM holding a port behind one of their
    /// addresses (several agents on one machine, or behind one NAT, share its ports: a VM listens on the machine,
    /// not on the worker).
    /// </summary>
    private async Task<List<Vm>> NeighbourhoodAsync(List<SchedulerWorker> workers, CancellationToken ct)
    {
        var ids = workers.Select(w => w.Id).ToArray();
        var addresses = workers.Select(w => w.Address).OfType<string>().Distinct().ToArray();
        return await db.Vms.FromSql($"""
            SELECT * FROM vms
            WHERE status <> 'deleted'
              AND (worker_id = ANY({ids}) OR (port IS NOT NULL AND worker_address = ANY({addresses})))
            """).AsNoTracking().ToListAsync(ct);
    }

    /// <summary>The worker accepted the VMs: give them ports, mark them scheduled and publish the worker's new set.</summary>
    private void Assign(SchedulerWorker worker, List<Vm> vms, List<Vm> stored, List<Vm> tracked, DateTimeOffset now)
    {
        var existing = stored.Where(v => v.WorkerId == worker.Id && VmStates.InDesiredSet(v.Status))
            .Concat(tracked.Where(v => v.WorkerId == worker.Id && VmStates.InDesiredSet(v.Status)))
            .OrderBy(v => v.Port).ThenBy(v => v.Id).ToList();
        var used = existing.Where(v => v.Port is not null).Select(v => v.Port!.Value).ToHashSet();
        var address = worker.Address;
        used.UnionWith(stored
            .Where(v => v.Port is not null && (v.WorkerId == worker.Id
                ? v.Status == VmStatus.Deleting
                : address is not null && v.WorkerAddress == address))
            .Select(v => v.Port!.Value));
        if (address is not null)
            used.UnionWith(tracked.Where(v => v.WorkerAddress == address && v.Status != VmStatus.Deleted && v.Port is not null)
                .Select(v => v.Port!.Value));
        var (ports, cursor) = Ports.Assign(used, worker.NextPort, _options.PortRange.Start, _options.PortRange.End, vms.Count);
        worker.NextPort = cursor;

        for (var i = 0; i < vms.Count; i++)
        {
            var vm = vms[i];
            vm.WorkerId = worker.Id;
            vm.WorkerAddress = worker.Address;
            vm.Port = ports[i];
            vm.DesiredVersion = worker.DesiredVersion;
            vm.CheckedAt = null;
            VmStates.Transition(db, vm, VmStatus.Scheduled, null, now);
            db.Publish(new VmScheduled(vm.Id, vm.OrganizationId, vm.LeaseId, worker.Id, vm.Spec, now));
            if (vm.MigratedFrom is Guid from)
                db.Publish(new VmMigrated(vm.Id, vm.OrganizationId, from, worker.Id, vm.MigrationReason ?? "migrated", now));
        }
        DesiredStates.Publish(db, worker.Id, worker.DesiredVersion, existing.Concat(vms), now);
    }

    private void MarkUnschedulable(Vm vm, string reason, DateTimeOffset checkedAt, DateTimeOffset now)
    {
        vm.CheckedAt = checkedAt;
        if (vm.Status == VmStatus.Unschedulable)
        {
            vm.StatusReason = reason; // the counts change as the fleet does; not a new state
            return;
        }
        VmStates.Transition(db, vm, VmStatus.Unschedulable, reason, now);
        db.Publish(new VmUnschedulable(vm.Id, vm.OrganizationId, vm.LeaseId, reason, now));
    }
}
