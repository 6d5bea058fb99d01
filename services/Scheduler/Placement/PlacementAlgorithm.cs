using System.Runtime.CompilerServices;

namespace Aetherium.Scheduler.Placement;

/// <summary>
/// Placement as a pure function: filter the workers, score the feasible ones, pick the best.
/// No I/O, no clock, no randomness: the caller passes where to start scanning.
/// </summary>
public static class PlacementAlgorithm
{
    /// <summary>
    /// Scans the workers from <paramref name="start"/> (wrapping round) until enough feasible ones were
    /// found (<see cref="PlacementSettings.FeasibleToFind"/>), and returns the best-scoring of them;
    /// ties go to the lowest worker id, so the answer depends only on the input. When nothing fits,
    /// every worker was looked at, and the result counts what filtered each.
    /// </summary>
    public static PlacementResult Place(PlacementRequest request, ReadOnlySpan<WorkerView> workers, PlacementSettings settings, int start = 0)
    {
        var n = workers.Length;
        if (n == 0) return new PlacementResult(-1, null, 0, 0, 0, default);

        var toFind = settings.FeasibleToFind(n);
        start %= n;
        if (start < 0) start += n;
        var best = -1;
        var bestScore = double.NegativeInfinity;
        var feasible = 0;
        var scanned = 0;
        // The request's numbers in locals: this loop runs over thousands of workers per decision.
        var cpu = request.CpuCores;
        var memory = request.MemoryMb;
        var disk = request.DiskGb;
        var gpus = request.Gpus;
        var spread = request.Scoring == ScoringMode.Spread;
        var zone = request.Zone;
        var runtimes = request.Runtimes;
        var labelled = request.LabelPairs.Length > 0;
        while (scanned < n && feasible < toFind)
        {
            var i = start + scanned;
            if (i >= n) i -= n;
            scanned++;
            ref readonly var w = ref workers[i];
            if (!FitsNumbers(in w, cpu, memory, disk, gpus)) continue;
            // The place filters, cheapest first; interned names compare by reference.
            if (zone is not null && !ReferenceEquals(zone, w.Zone)) continue;
            if (w.Images is not null && !ImageMatches(request, in w)) continue;
            if (runtimes is not null && !ReferenceEquals(runtimes, w.Runtimes) && !RuntimeMatches(request, in w)) continue;
            if (labelled && !LabelsMatch(request, in w)) continue;
            feasible++;
            var used = w.UsedWith(cpu, memory);
            var score = spread ? 1 - used : used;
            if (score > bestScore || (score == bestScore && w.Id.CompareTo(workers[best].Id) < 0))
            {
                best = i;
                bestScore = score;
            }
        }
        if (best >= 0) return new PlacementResult(best, workers[best].Id, bestScore, scanned, feasible, default);

        // The explanation is needed only now: count each worker by the first filter, in the order users think of them.
        var counts = new FilterCounts();
        foreach (var w in workers) counts.Add(Filter(request, w));
        return new PlacementResult(-1, null, 0, scanned, 0, counts);
    }

    /// <summary>
    /// Active, a VM slot free, and room for the VM: the scan's first test, as <see cref="Filter"/> would decide it.
    /// Non-short-circuit: one hard-to-predict branch per worker instead of six.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool FitsNumbers(in WorkerView w, int cpu, long memory, long disk, int gpus) =>
        (w.FreeSlots > 0) & (cpu <= w.FreeCpu) & (memory <= w.FreeMemoryMb) & (disk <= w.FreeDiskGb) & (gpus <= w.FreeGpus);

    /// <summary>
    /// The first filter that rejects the worker for this request, or None, in a fixed order: status,
    /// zone, labels, image, runtime, max_vms, CPU, memory, disk, GPUs.
    /// </summary>
    public static Rejection Filter(PlacementRequest r, WorkerView w)
    {
        if (!w.IsActive) return Rejection.NotActive;
        if (r.Zone is not null && !Names.Same(r.Zone, w.Zone)) return Rejection.Zone;
        if (!LabelsMatch(r, w)) return Rejection.Labels;
        if (!ImageMatches(r, w)) return Rejection.Image;
        if (!RuntimeMatches(r, w)) return Rejection.Runtime;
        if (w.VmCount >= w.MaxVms) return Rejection.MaxVms;
        if (r.CpuCores > w.FreeCpu) return Rejection.Cpu;
        if (r.MemoryMb > w.FreeMemoryMb) return Rejection.Memory;
        if (r.DiskGb > w.FreeDiskGb) return Rejection.Disk;
        if (r.Gpus > w.FreeGpus) return Rejection.Gpu;
        return Rejection.None;
    }

    /// <summary>
    /// Higher is better. Bin-pack: the worker's mean CPU and memory utilisation once the VM is on it
    /// (Nomad scores the same two dimensions); spread: its complement.
    /// </summary>
    public static double Score(PlacementRequest r, WorkerView w)
    {
        var used = w.UsedWith(r.CpuCores, r.MemoryMb);
        return r.Scoring == ScoringMode.Spread ? 1 - used : used;
    }

    /// <summary>Every label the VM asks for, with the same value (case-sensitive).</summary>
    private static bool LabelsMatch(PlacementRequest r, in WorkerView w)
    {
        var wanted = r.LabelPairs;
        if (wanted.Length == 0) return true;
        var has = w.LabelPairs;
        foreach (var (key, value) in wanted)
        {
            var found = false;
            foreach (var (k, v) in has)
            {
                if (string.Equals(k, key))
                {
                    found = string.Equals(v, value);
                    break;
                }
            }
            if (!found) return false;
        }
        return true;
    }

    private static bool ImageMatches(PlacementRequest r, in WorkerView w)
    {
        var images = w.Images;
        if (images is null) return true;
        foreach (var image in images)
        {
            if (Names.Same(image, r.ImageId)) return true;
        }
        return false;
    }

    /// <summary>One of the VM's runtimes on the worker; a worker that reported none is not filtered.</summary>
    private static bool RuntimeMatches(PlacementRequest r, in WorkerView w)
    {
        var wanted = r.Runtimes;
        var offered = w.Runtimes;
        if (wanted is null || offered.Length == 0 || ReferenceEquals(wanted, offered)) return true;
        foreach (var a in wanted)
        {
            foreach (var b in offered)
            {
                if (Names.Same(a, b)) return true;
            }
        }
        return false;
    }
}
