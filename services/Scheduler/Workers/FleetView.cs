using Aetherium.Contracts;
using Aetherium.Scheduler.Persistence;
using Aetherium.Scheduler.Placement;
using Aetherium.ServiceDefaults.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Aetherium.Scheduler.Workers;

/// <summary>
/// This replica's in-memory copy of scheduler_workers, which placement decides against. Before each
/// batch it takes in the rows changed since the last look (every writer sets updated_at), and it is
/// reloaded whole now and then and whenever a worker appears. Being stale is safe: the database
/// refuses any placement that no longer fits, and placement then refreshes that worker and retries.
/// Only the placement loop writes it; others may read <see cref="Current"/>.
/// A row that cannot be read (labels of the wrong shape, as an old version or a hand fix could leave them) is left
/// out, so that worker is not placed on, and named in one warning; every other worker stays in the view.
/// </summary>
public sealed class FleetView(IOptions<SchedulerOptions> options, TimeProvider time, ILogger<FleetView> log)
{
    /// <summary>
    /// A transaction that started before a look may commit after it: rows updated this long before the
    /// last look are read again, and unschedulable VMs are dated this much earlier than the look.
    /// </summary>
    public static readonly TimeSpan CommitMargin = TimeSpan.FromSeconds(1);

    private readonly SchedulerOptions _options = options.Value;
    private volatile WorkerView[] _workers = [];
    private Dictionary<Guid, int> _index = new();
    private volatile bool _dirty = true;
    private DateTimeOffset _reloadedLocal = DateTimeOffset.MinValue;
    /// <summary>Workers left out because their row cannot be read, each warned about once.</summary>
    private HashSet<Guid> _unreadable = [];

    /// <summary>The workers, ordered by id.</summary>
    public WorkerView[] Current => _workers;

    /// <summary>Database time of the last look at the table: the view holds every change committed before it.</summary>
    public DateTimeOffset SyncedAt { get; private set; } = DateTimeOffset.MinValue;

    public void MarkDirty() => _dirty = true;

    /// <summary>Brings the view up to date with the table: changed rows only, or everything when due.</summary>
    public async Task SyncAsync(SchedulerDbContext db, CancellationToken ct)
    {
        if (_dirty || time.GetUtcNow() - _reloadedLocal > _options.ViewReloadInterval)
        {
            await ReloadAsync(db, ct);
            return;
        }
        var now = await DatabaseNowAsync(db, ct);
        var since = SyncedAt - CommitMargin;
        var (changed, unreadable) = await ReadAsync(db.Workers.AsNoTracking().Where(w => w.UpdatedAt >= since), ct);
        foreach (var row in changed) Apply(row);
        _unreadable.ExceptWith(changed.Select(r => r.Id));
        // A worker in the view whose row went bad leaves it with the reload below.
        if (unreadable.Any(_index.ContainsKey)) _dirty = true;
        _unreadable.UnionWith(unreadable);
        if (_dirty)
        {
            await ReloadAsync(db, ct);
            return;
        }
        SyncedAt = now;
    }

    private async Task ReloadAsync(SchedulerDbContext db, CancellationToken ct)
    {
        _dirty = false;
        var now = await DatabaseNowAsync(db, ct);
        var (rows, unreadable) = await ReadAsync(db.Workers.AsNoTracking().Where(w => w.Status != WorkerStatus.Deleted), ct);
        _unreadable = unreadable;
        var workers = new WorkerView[rows.Count];
        var index = new Dictionary<Guid, int>(rows.Count);
        for (var i = 0; i < rows.Count; i++)
        {
            workers[i] = ToView(rows[i], _options.PortRange.Size);
            index[rows[i].Id] = i;
        }
        _index = index;
        _workers = workers;
        SyncedAt = now;
        _reloadedLocal = time.GetUtcNow();
    }

    /// <summary>Takes in the current row of one worker (after a commit or a refused placement).</summary>
    public void Apply(SchedulerWorker row)
    {
        var known = _index.TryGetValue(row.Id, out var i);
        if (known && row.Status != WorkerStatus.Deleted) _workers[i] = ToView(row, _options.PortRange.Size);
        else if (known != (row.Status != WorkerStatus.Deleted)) _dirty = true; // a worker appeared or went away
    }

    public async Task RefreshAsync(SchedulerDbContext db, Guid workerId, CancellationToken ct)
    {
        var (rows, unreadable) = await ReadAsync(db.Workers.AsNoTracking().Where(w => w.Id == workerId), ct);
        if (rows.Count == 0) _dirty = true; // gone, or unreadable: the reload leaves it out
        else Apply(rows[0]);
        _unreadable.UnionWith(unreadable);
    }

    /// <summary>The rows of <paramref name="query"/> by id, and apart those that cannot be read, each warned about the first time.</summary>
    private async Task<(List<SchedulerWorker> Rows, HashSet<Guid> Unreadable)> ReadAsync(IQueryable<SchedulerWorker> query, CancellationToken ct)
    {
        var (rows, unreadable) = await WorkerRows.ReadAsync(query.OrderBy(w => w.Id), ct);
        foreach (var (id, error) in unreadable.Where(u => !_unreadable.Contains(u.Id)))
            log.LogWarning("Worker {WorkerId} left out of placement: its scheduler_workers row cannot be read, so nothing is placed on it until a newer snapshot from inventory or a fix rewrites it: {Error}",
                id, BatchFailures.Describe(error));
        return (rows, unreadable.Select(u => u.Id).ToHashSet());
    }

    private static Task<DateTimeOffset> DatabaseNowAsync(SchedulerDbContext db, CancellationToken ct) =>
        db.Database.SqlQuery<DateTimeOffset>($"SELECT now() AS \"Value\"").SingleAsync(ct);

    /// <summary>
    /// A worker as placement sees it. Its VM count is capped by the port range (each VM needs a port);
    /// a max_vms of zero or less means no limit of its own.
    /// </summary>
    public static WorkerView ToView(SchedulerWorker w, int portRangeSize) => new(
        w.Id,
        w.Status == WorkerStatus.Active,
        w.Zone,
        w.Labels,
        w.Images is { Length: > 0 } ? w.Images : null,
        w.Runtimes,
        w.CpuCores,
        w.MemoryMb,
        w.DiskGb,
        w.GpuCount,
        EffectiveMaxVms(w.MaxVms, portRangeSize),
        w.AllocatedCpu,
        w.AllocatedMemoryMb,
        w.AllocatedDiskGb,
        w.AllocatedGpus,
        w.VmCount);

    public static int EffectiveMaxVms(int maxVms, int portRangeSize) => maxVms > 0 ? Math.Min(maxVms, portRangeSize) : portRangeSize;
}
