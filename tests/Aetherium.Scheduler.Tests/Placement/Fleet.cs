using Aetherium.Scheduler.Placement;

namespace Aetherium.Scheduler.Tests.Placement;

/// <summary>Workers and requests for placement tests, with ids whose order is known.</summary>
public static class Fleet
{
    /// <summary>The n-th worker id; ids compare in the order of n.</summary>
    public static Guid Id(int n) => new($"00000000-0000-0000-0000-{n:D12}");

    public static WorkerView Worker(int n, int cpu = 8, long memoryMb = 16384, long diskGb = 100, int gpus = 0, int maxVms = 100,
        bool active = true, string zone = "zone-a", Dictionary<string, string>? labels = null, string[]? images = null, string[]? runtimes = null,
        int usedCpu = 0, long usedMemoryMb = 0, long usedDiskGb = 0, int usedGpus = 0, int vms = 0) =>
        new(Id(n), active, zone, labels ?? new Dictionary<string, string>(), images, runtimes ?? ["simulated", "process"],
            cpu, memoryMb, diskGb, gpus, maxVms, usedCpu, usedMemoryMb, usedDiskGb, usedGpus, vms);

    public static PlacementRequest Request(int cpu = 1, long memoryMb = 1024, long diskGb = 10, int gpus = 0, string image = "ubuntu-24.04",
        string? zone = null, Dictionary<string, string>? labels = null, string[]? runtimes = null, ScoringMode scoring = ScoringMode.BinPack) =>
        new(cpu, memoryMb, diskGb, gpus, image, zone, labels, runtimes, scoring);

    public static readonly PlacementSettings ScoreAll = new(MinFeasible: int.MaxValue, Percentage: 100);

    public static PlacementResult Place(PlacementRequest request, params WorkerView[] workers) =>
        PlacementAlgorithm.Place(request, workers, ScoreAll);
}
