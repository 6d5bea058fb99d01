using Aetherium.Contracts;
using Aetherium.Scheduler.Images;
using Aetherium.Scheduler.Persistence;
using Aetherium.Scheduler.Placement;
using Aetherium.Scheduler.Scheduling;
using Aetherium.Scheduler.Vms;
using Aetherium.Scheduler.Workers;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Aetherium.Scheduler.Rescheduling;

/// <summary>
/// Moves VMs off workers that must not keep them: offline or deleted ones (all their VMs, at a bounded
/// rate during a mass failure) and draining ones (at most the drain's max_parallel in flight, everything
/// left once its deadline passed). A moved VM becomes migrating, leaves the old worker's desired set
/// (so that agent stops any stale copy should it come back) and is placed again by the placement loop,
/// keeping its id. Worker rows and VMs are claimed with SKIP LOCKED, so replicas never wait on each
/// other here and never move one worker's VMs twice.
/// </summary>
public sealed class Evacuation(
    SchedulerDbContext db,
    FleetView view,
    ImageCatalog catalog,
    SchedulerSignals signals,
    IOptions<SchedulerOptions> options,
    TimeProvider time,
    ILogger<Evacuation> log)
{
    private static readonly string[] Moving = [VmStatus.Migrating, VmStatus.Unschedulable, VmStatus.Pending, VmStatus.Scheduled, VmStatus.Provisioning];
    private readonly SchedulerOptions _options = options.Value;
    private MigrationOptions Migration => _options.Migration;

    /// <summary>
    /// One pass over failed and draining workers, or (<paramref name="only"/>) over the given VMs of theirs.
    /// Returns when to look again if VMs wait for rate tokens.
    /// </summary>
    public async Task<TimeSpan?> RunAsync(CancellationToken ct, IReadOnlyList<Guid>? only = null)
    {
        var again = await EvacuateFailedAsync(only?.ToArray(), ct);
        await DrainAsync(only?.ToArray(), ct);
        return again;
    }

    /// <summary>The VMs a pass would move, oldest first, without reading their rows: where isolation starts.</summary>
    public Task<List<Guid>> LeavingAsync(CancellationToken ct) =>
        db.Database.SqlQuery<Guid>($"""
            SELECT v.id AS "Value" FROM vms v JOIN scheduler_workers w ON w.id = v.worker_id
            WHERE w.status IN ('offline', 'deleted', 'draining') AND v.status = ANY({VmStates.DesiredSet})
            ORDER BY v.created_at LIMIT {Migration.BatchSize}
            """).ToListAsync(ct);

    /// <summary>
    /// What a pass needs of a worker its VMs leave. Only these columns are read: a worker row whose labels cannot be
    /// read (an old version or a hand fix) must not keep its VMs, or anyone else's, on a failed or draining worker.
    /// </summary>
    private sealed record Leaving(Guid Id, string Status, int VmCount, DateTimeOffset? DrainDeadline, DateTimeOffset StatusChangedAt, int DrainMaxParallel);

    private const string LeavingColumns = """
        id AS "Id", status AS "Status", vm_count AS "VmCount", drain_deadline AS "DrainDeadline",
        status_changed_at AS "StatusChangedAt", drain_max_parallel AS "DrainMaxParallel"
        """;

    private async Task<TimeSpan?> EvacuateFailedAsync(Guid[]? only, CancellationToken ct)
    {
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var workers = await db.Database.SqlQueryRaw<Leaving>($"""
            SELECT {LeavingColumns} FROM scheduler_workers WHERE status IN ('offline', 'deleted') AND vm_count > 0
            ORDER BY offline_since NULLS FIRST LIMIT 100 FOR UPDATE SKIP LOCKED
            """).ToListAsync(ct);
        if (workers.Count == 0)
        {
            await tx.CommitAsync(ct);
            return null;
        }

        var now = time.GetUtcNow();
        var limit = Migration.BatchSize;
        TimeSpan? again = null;
        var massFailure = await MassFailureAsync(now, ct);
        if (massFailure is not null)
        {
            var wanted = Math.Min(limit, workers.Sum(w => w.VmCount));
            var (granted, wait) = await TakeTokensAsync(wanted, now, ct);
            log.LogWarning("Mass failure ({What}): rescheduling at most {Rate} VMs/s; {Granted} of {Wanted} now",
                massFailure, Migration.RatePerSecond, granted, wanted);
            limit = granted;
            if (granted < workers.Sum(w => w.VmCount)) again = wait;
        }

        var moved = 0;
        if (limit > 0)
        {
            var ids = workers.Select(w => w.Id).ToArray();
            var vms = await db.Vms.FromSql(only is null
                ? (FormattableString)$"""
                    SELECT * FROM vms WHERE worker_id = ANY({ids}) AND status = ANY({VmStates.DesiredSet})
                    ORDER BY created_at LIMIT {limit} FOR UPDATE SKIP LOCKED
                    """
                : $"""
                    SELECT * FROM vms WHERE worker_id = ANY({ids}) AND status = ANY({VmStates.DesiredSet}) AND id = ANY({only})
                    ORDER BY created_at LIMIT {limit} FOR UPDATE SKIP LOCKED
                    """).ToListAsync(ct);
            foreach (var worker in workers)
            {
                var leaving = vms.Where(v => v.WorkerId == worker.Id).ToList();
                if (leaving.Count == 0) continue;
                var reason = worker.Status == WorkerStatus.Deleted ? "worker deleted" : "worker offline";
                await MoveAsync(worker.Id, leaving, reason, now, ct);
                moved += leaving.Count;
            }
        }
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        if (moved > 0 && moved >= limit && massFailure is null) again = TimeSpan.Zero; // a full batch: more may be waiting
        if (moved > 0)
        {
            log.LogInformation("{Count} VMs of failed workers are being rescheduled", moved);
            signals.Placement.Notify();
        }
        return again;
    }

    private async Task DrainAsync(Guid[]? only, CancellationToken ct)
    {
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var workers = await db.Database.SqlQueryRaw<Leaving>($"""
            SELECT {LeavingColumns} FROM scheduler_workers WHERE status = 'draining' AND vm_count > 0 FOR UPDATE SKIP LOCKED
            """).ToListAsync(ct);
        var now = time.GetUtcNow();
        var moved = 0;
        var draining = workers.Select(w => w.Id).ToHashSet();
        foreach (var worker in workers)
        {
            var deadline = worker.DrainDeadline ?? worker.StatusChangedAt + Migration.DefaultDrainDeadline;
            var overdue = now >= deadline;
            var allowed = Migration.BatchSize;
            if (!overdue)
            {
                var inFlight = await db.Vms.CountAsync(v => v.MigratedFrom == worker.Id && Moving.Contains(v.Status), ct);
                allowed = Math.Max(1, worker.DrainMaxParallel) - inFlight;
                if (allowed <= 0) continue;
            }
            var candidates = await db.Vms.FromSql(only is null
                ? (FormattableString)$"""
                    SELECT * FROM vms WHERE worker_id = {worker.Id} AND status = ANY({VmStates.DesiredSet})
                    ORDER BY created_at FOR UPDATE SKIP LOCKED
                    """
                : $"""
                    SELECT * FROM vms WHERE worker_id = {worker.Id} AND status = ANY({VmStates.DesiredSet}) AND id = ANY({only})
                    ORDER BY created_at FOR UPDATE SKIP LOCKED
                    """).ToListAsync(ct);
            // Before the deadline a VM leaves only when some other worker can take it, so a drain never
            // stops a VM that has nowhere to go; after it, everything leaves.
            var leaving = overdue ? candidates.Take(allowed).ToList() : await WithDestinationAsync(candidates, allowed, draining, ct);
            if (leaving.Count == 0) continue;
            log.LogInformation("Draining worker {WorkerId}: moving {Count} VMs ({Why})", worker.Id, leaving.Count,
                overdue ? $"deadline {deadline:O} passed" : $"{worker.DrainMaxParallel - allowed} of at most {worker.DrainMaxParallel} in flight");
            await MoveAsync(worker.Id, leaving, overdue ? "drain deadline passed" : "worker draining", now, ct);
            moved += leaving.Count;
        }
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        if (moved > 0)
        {
            log.LogInformation("{Count} VMs are moving off draining workers", moved);
            signals.Placement.Notify();
        }
    }

    private async Task<List<Vm>> WithDestinationAsync(List<Vm> candidates, int allowed, HashSet<Guid> draining, CancellationToken ct)
    {
        var images = await catalog.GetAsync(db, ct);
        // The placement loop's view may not have taken in a drain yet (it syncs before each batch): the workers just
        // read as draining are no destination, or a VM would leave for its own worker and find nowhere to go.
        var fleet = Array.FindAll(view.Current, w => !draining.Contains(w.Id));
        var settings = _options.PlacementSettings;
        var leaving = new List<Vm>();
        foreach (var vm in candidates)
        {
            if (leaving.Count >= allowed) break;
            var request = PlacementRequests.For(vm, images, _options.Scoring);
            var result = PlacementAlgorithm.Place(request, fleet, settings);
            if (!result.Placed) continue;
            fleet[result.Index] = fleet[result.Index].Allocate(request);
            leaving.Add(vm);
        }
        return leaving;
    }

    /// <summary>Takes the VMs off the worker: migrating, back in the placement queue; the worker's set shrinks.</summary>
    private async Task MoveAsync(Guid workerId, List<Vm> vms, string reason, DateTimeOffset now, CancellationToken ct)
    {
        foreach (var vm in vms)
        {
            vm.MigratedFrom = workerId;
            vm.MigrationReason = reason;
            vm.WorkerId = null;
            // The address and port stay until it is placed again: the copy it leaves behind may hold that port
            // until its agent learns (a machine cut off keeps running it), so placement gives it another port
            // on a worker at the same address (several agents on one machine, or behind one NAT).
            vm.ObservedAt = null;
            vm.CheckedAt = null;
            vm.QueuedAt = now;
            VmStates.Transition(db, vm, VmStatus.Migrating, reason, now);
        }
        await DesiredStates.ChangeAsync(db, workerId, Allocation.Of(vms), now, ct);
    }

    private async Task<string?> MassFailureAsync(DateTimeOffset now, CancellationToken ct)
    {
        var since = now - Migration.MassFailureWindow;
        var zones = await db.Database.SqlQuery<ZoneRow>($"""
            SELECT zone AS "Zone",
                   count(*) FILTER (WHERE status = 'active') AS "Active",
                   count(*) FILTER (WHERE status = 'offline' AND (offline_since >= {since} OR vm_count > 0)) AS "Failed"
            FROM scheduler_workers GROUP BY zone
            """).ToListAsync(ct);
        return MassFailure.Evaluate(zones.Select(z => new ZoneHealth(z.Zone, (int)z.Active, (int)z.Failed)).ToList(),
            Migration.MassFailureShare, Migration.MassFailureMinWorkers);
    }

    private async Task<(int Granted, TimeSpan Wait)> TakeTokensAsync(int wanted, DateTimeOffset now, CancellationToken ct)
    {
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO rate_limits (name, tokens, updated_at) VALUES ({RateLimitState.Reschedule}, {Migration.Burst}, {now})
            ON CONFLICT (name) DO NOTHING
            """, ct);
        var state = await db.RateLimits.FromSql($"SELECT * FROM rate_limits WHERE name = {RateLimitState.Reschedule} FOR UPDATE").SingleAsync(ct);
        var (bucket, granted) = new TokenBucket(state.Tokens, state.UpdatedAt).Take(wanted, now, Migration.RatePerSecond, Migration.Burst);
        state.Tokens = bucket.Tokens;
        state.UpdatedAt = bucket.At;
        return (granted, bucket.UntilNextToken(Migration.RatePerSecond));
    }

    private sealed class ZoneRow
    {
        public string Zone { get; set; } = "";
        public long Active { get; set; }
        public long Failed { get; set; }
    }
}
