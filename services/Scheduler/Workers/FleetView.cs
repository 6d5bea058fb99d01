using Aetherium.Contracts;
using Aetherium.Scheduler.Persistence;
using Aetherium.Scheduler.Placement;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Aetherium.Scheduler.Workers;

/// <summary>
/// This replica's in-memory copy of scheduler_workers, which placement decides against. Before each
/// batch it takes in the rows changed since the last look (every writer sets updated_at), and it is
/// reloaded whole now and then and whenever a worker appears. Being stale is safe: the database
/// refuses any placement that no longer fits, and placement then refreshes that worker and retries.
/// Only the placement loop writes it; others may read <see cref="Current"/>.
/// </summary>
public sealed class FleetView(IOptions<SchedulerOptions> options, TimeProvider time)
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
        var changed = await db.Workers.AsNoTracking().Where(w => w.UpdatedAt >= since).ToListAsync(ct);
        foreach (var row in changed) Apply(row);
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
        var rows = await db.Workers.AsNoTracking().Where(w => w.Status != WorkerStatus.Deleted).OrderBy(w => w.Id).ToListAsync(ct);
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
        var row = await db.Workers.AsNoTracking().SingleOrDefaultAsync(w => w.Id == workerId, ct);
        if (row is null) _dirty = true;
        else Apply(row);
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
