namespace Aetherium.Scheduler.Placement;

/// <summary>
/// Places one VM after another, each scan starting where the previous one stopped (kube-scheduler's
/// rotating start index), so sampled scans cover the whole fleet over time instead of always
/// crowding the first workers. The first start is drawn from the injected random source, so two
/// replicas do not begin on the same workers, and tests stay deterministic with a seeded one.
/// Not thread-safe: one per placement loop.
/// </summary>
public sealed class Placer(PlacementSettings settings, Random random)
{
    private int _next = -1;
    private bool _inBatch;
    private int _widest;

    public PlacementSettings Settings => settings;

    public PlacementResult Place(PlacementRequest request, ReadOnlySpan<WorkerView> workers)
    {
        if (workers.Length == 0) return PlacementAlgorithm.Place(request, workers, settings);
        if (_next < 0 || _next >= workers.Length) _next = random.Next(workers.Length);
        var result = PlacementAlgorithm.Place(request, workers, settings, _next);
        if (_inBatch) _widest = Math.Max(_widest, result.Scanned);
        else _next = (_next + result.Scanned) % workers.Length;
        return result;
    }

    /// <summary>
    /// Until <see cref="EndBatch"/>, every scan starts at the same worker: the VMs of one placement batch
    /// compete for one window of the fleet, so bin-packing fills that window's best workers with several of
    /// them (one allocation, one desired state and a handful of statements per worker, instead of per VM,
    /// which made 200 round trips of a 200-VM batch). The next batch starts past the widest scan.
    /// </summary>
    public void BeginBatch()
    {
        _inBatch = true;
        _widest = 0;
    }

    public void EndBatch(int workers)
    {
        _inBatch = false;
        if (_next >= 0 && workers > 0) _next = (_next + _widest) % workers;
    }
}
