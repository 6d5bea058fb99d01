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

    public PlacementSettings Settings => settings;

    public PlacementResult Place(PlacementRequest request, ReadOnlySpan<WorkerView> workers)
    {
        if (workers.Length == 0) return PlacementAlgorithm.Place(request, workers, settings);
        if (_next < 0 || _next >= workers.Length) _next = random.Next(workers.Length);
        var result = PlacementAlgorithm.Place(request, workers, settings, _next);
        _next = (_next + result.Scanned) % workers.Length;
        return result;
    }
}
