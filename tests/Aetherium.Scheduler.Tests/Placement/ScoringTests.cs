using Aetherium.Scheduler.Placement;
using Xunit;
using static Aetherium.Scheduler.Tests.Placement.Fleet;

namespace Aetherium.Scheduler.Tests.Placement;

public sealed class ScoringTests
{
    private static readonly WorkerView[] Mixed =
    [
        Worker(1, usedCpu: 2, usedMemoryMb: 4096),  // 25 % used
        Worker(2, usedCpu: 6, usedMemoryMb: 12288), // 75 % used
        Worker(3),                                  // empty
        Worker(4, usedCpu: 4, usedMemoryMb: 8192),  // 50 % used
    ];

    [Fact]
    public void Bin_packing_prefers_the_fullest_worker_that_fits()
    {
        Assert.Equal(Id(2), PlacementAlgorithm.Place(Request(scoring: ScoringMode.BinPack), Mixed, ScoreAll).WorkerId);
        // The fullest one cannot take 4 cores: the next fullest does.
        Assert.Equal(Id(4), PlacementAlgorithm.Place(Request(cpu: 4, scoring: ScoringMode.BinPack), Mixed, ScoreAll).WorkerId);
    }

    [Fact]
    public void Spread_prefers_the_emptiest_worker()
    {
        Assert.Equal(Id(3), PlacementAlgorithm.Place(Request(scoring: ScoringMode.Spread), Mixed, ScoreAll).WorkerId);
    }

    [Fact]
    public void Scores_are_relative_to_capacity_not_absolute_free_space()
    {
        // 2 of 4 cores used (50 %) is fuller than 4 of 16 (25 %), although the big one has more used cores.
        var small = Worker(1, cpu: 4, memoryMb: 8192, usedCpu: 2, usedMemoryMb: 4096);
        var big = Worker(2, cpu: 16, memoryMb: 32768, usedCpu: 4, usedMemoryMb: 8192);
        Assert.Equal(Id(1), Place(Request(scoring: ScoringMode.BinPack), small, big).WorkerId);
        Assert.Equal(Id(2), Place(Request(scoring: ScoringMode.Spread), small, big).WorkerId);
    }

    [Theory]
    [InlineData(ScoringMode.BinPack)]
    [InlineData(ScoringMode.Spread)]
    public void Ties_go_to_the_lowest_worker_id_wherever_the_scan_starts(ScoringMode mode)
    {
        WorkerView[] twins = [Worker(7), Worker(3), Worker(9), Worker(5)];
        for (var start = 0; start < twins.Length; start++)
        {
            var result = PlacementAlgorithm.Place(Request(scoring: mode), twins, ScoreAll, start);
            Assert.Equal(Id(3), result.WorkerId);
            Assert.Equal(1, result.Index);
        }
    }
}
