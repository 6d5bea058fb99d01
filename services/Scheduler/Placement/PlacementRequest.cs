namespace Aetherium.Scheduler.Placement;

public enum ScoringMode
{
    /// <summary>Prefer the fullest worker that fits (Nomad's default): keeps large holes free for large VMs.</summary>
    BinPack,
    /// <summary>Prefer the emptiest worker: spreads load and failure impact.</summary>
    Spread,
}

/// <summary>
/// One VM to place: its size, the GPUs it needs (0 = none), the image it runs, the runtimes it can run on
/// (null = any), where it may go (zone and labels; null = anywhere) and how to score.
/// </summary>
public sealed class PlacementRequest
{
    public PlacementRequest(int cpuCores, long memoryMb, long diskGb, int gpus, string imageId, string? zone = null,
        IReadOnlyDictionary<string, string>? labels = null, string[]? runtimes = null, ScoringMode scoring = ScoringMode.BinPack)
    {
        CpuCores = cpuCores;
        MemoryMb = memoryMb;
        DiskGb = diskGb;
        Gpus = gpus;
        ImageId = Names.Intern(imageId);
        Zone = Names.Zone(zone);
        Labels = labels;
        LabelPairs = labels is { Count: > 0 } ? labels.ToArray() : [];
        Runtimes = runtimes is { Length: > 0 } ? Names.InternSet(runtimes) : null;
        Scoring = scoring;
    }

    public int CpuCores { get; }
    public long MemoryMb { get; }
    public long DiskGb { get; }
    public int Gpus { get; }
    public string ImageId { get; }
    /// <summary>Lower case, or null for any zone.</summary>
    public string? Zone { get; }
    public IReadOnlyDictionary<string, string>? Labels { get; }
    internal KeyValuePair<string, string>[] LabelPairs { get; }
    public string[]? Runtimes { get; }
    public ScoringMode Scoring { get; }
}

/// <summary>
/// How many feasible workers to find before scoring stops (kube-scheduler's percentageOfNodesToScore,
/// Nomad's limit): every worker in a small fleet; in a large one max(MinFeasible, Percentage% of it).
/// </summary>
public sealed record PlacementSettings(int MinFeasible = 100, int Percentage = 5)
{
    public int FeasibleToFind(int workers)
    {
        if (workers <= MinFeasible || Percentage >= 100) return workers;
        return Math.Max(MinFeasible, (int)((long)workers * Math.Max(Percentage, 0) / 100));
    }
}
