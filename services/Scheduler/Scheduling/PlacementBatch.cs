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

    public async Task<Outcome> RunAsync(CancellationToken ct)
    {
        await view.SyncAsync(db, ct);
        // Capacity committed after this moment may be missing from the view: such VMs are tried again.
        var checkedAt = view.SyncedAt - FleetView.CommitMargin;
        var retryBefore = view.SyncedAt - _options.UnschedulableRetryInterval;
        var images = await catalog.GetAsync(db, ct);
        var now = time.GetUtcNow();

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var batch = await db.Vms.FromSql($"""
            SELECT * FROM vms
            WHERE status IN ('pending', 'migrating')
               OR (status = 'unschedulable' AND (checked_at IS NULL OR checked_at < {retryBefore}
                   OR checked_at < (SELECT max(capacity_changed_at) FROM scheduler_workers)))
            ORDER BY queued_at
            LIMIT {_options.BatchSize}
            FOR UPDATE SKIP LOCKED
            """).ToListAsync(ct);
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

        var placed = 0;
        var refused = 0;
        var committed = new List<SchedulerWorker>();
        var refusedWorkers = new List<Guid>();
        foreach (var (index, vms) in groups.OrderBy(g => working[g.Key].Id))
        {
            var workerId = working[index].Id;
            var row = await DesiredStates.TryAllocateAsync(db, workerId, Allocation.Of(vms), _options.PortRange.Size, ct);
            if (row is null)
            {
                refused += vms.Count;
                refusedWorkers.Add(workerId);
                continue;
            }
            await AssignAsync(row, vms, now, ct);
            committed.Add(row);
            placed += vms.Count;
        }
        db.ChangeTracker.DetectChanges();
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);

        foreach (var row in committed) view.Apply(row);
        foreach (var workerId in refusedWorkers) await view.RefreshAsync(db, workerId, ct);
        stats.Record(placed, refused, unschedulable);
        if (refused > 0) log.LogInformation("{Refused} placements refused: another replica took the capacity first; retrying", refused);
        return new Outcome(batch.Count, placed, unschedulable, refused);
    }

    /// <summary>The worker accepted the VMs: give them ports, mark them scheduled and publish the worker's new set.</summary>
    private async Task AssignAsync(SchedulerWorker worker, List<Vm> vms, DateTimeOffset now, CancellationToken ct)
    {
        var existing = await DesiredStates.MembersAsync(db, worker.Id, ct);
        var used = existing.Where(v => v.Port is not null).Select(v => v.Port!.Value).ToHashSet();
        // One query for the ports taken beside the set: this worker's deleting VMs (one may still run until its agent
        // catches up) and the VMs of every other worker behind the same address (several agents on one machine, or
        // behind one NAT, share its ports: a VM listens on the machine, not on the worker).
        var address = worker.Address;
        used.UnionWith(await db.Vms.AsNoTracking()
            .Where(v => v.Port != null && (v.WorkerId == worker.Id
                ? v.Status == VmStatus.Deleting
                : address != null && v.WorkerAddress == address && v.Status != VmStatus.Deleted))
            .Select(v => v.Port!.Value).ToListAsync(ct));
        // This batch's own unsaved choices for other workers on the address count too.
        if (address is not null)
            used.UnionWith(db.Vms.Local.Where(v => v.WorkerAddress == address && v.Status != VmStatus.Deleted && v.Port != null)
                .Select(v => v.Port!.Value));
        var (ports, cursor) = Ports.Assign(used, worker.NextPort, _options.PortRange.Start, _options.PortRange.End, vms.Count);
        await db.Database.ExecuteSqlAsync($"UPDATE scheduler_workers SET next_port = {cursor} WHERE id = {worker.Id}", ct);
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
        DesiredStates.Publish(db, worker, existing.Concat(vms), now);
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
