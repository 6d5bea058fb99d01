using Aetherium.Scheduler.Placement;
using Xunit;
using static Aetherium.Scheduler.Tests.Placement.Fleet;

namespace Aetherium.Scheduler.Tests.Placement;

public sealed class SamplingTests
{
    [Theory]
    [InlineData(0, 0)]
    [InlineData(50, 50)]
    [InlineData(100, 100)]
    [InlineData(1000, 100)]     // 5 % would be 50: the floor of 100 holds
    [InlineData(10000, 500)]    // 5 %
    [InlineData(100000, 5000)]
    public void How_many_feasible_workers_are_scored(int workers, int expected) =>
        Assert.Equal(expected, new PlacementSettings(MinFeasible: 100, Percentage: 5).FeasibleToFind(workers));

    [Fact]
    public void A_large_fleet_is_scored_only_until_enough_feasible_workers_were_found()
    {
        var workers = Enumerable.Range(0, 1000).Select(n => Worker(n)).ToArray();
        // The best bin-packing target lies outside the first 100 scanned from 0.
        workers[500] = Worker(500, usedCpu: 7, usedMemoryMb: 15000);
        var settings = new PlacementSettings(MinFeasible: 100, Percentage: 5);

        var fromZero = PlacementAlgorithm.Place(Request(), workers, settings, start: 0);
        Assert.Equal(100, fromZero.Scanned);
        Assert.Equal(100, fromZero.Feasible);
        Assert.NotEqual(Id(500), fromZero.WorkerId);

        var overIt = PlacementAlgorithm.Place(Request(), workers, settings, start: 450);
        Assert.Equal(Id(500), overIt.WorkerId);
    }

    [Fact]
    public void Unfit_workers_do_not_count_towards_the_sample()
    {
        var workers = Enumerable.Range(0, 1000).Select(n => Worker(n, active: n % 2 == 1)).ToArray();
        var result = PlacementAlgorithm.Place(Request(), workers, new PlacementSettings(100, 5), start: 0);
        Assert.Equal(100, result.Feasible);
        Assert.Equal(200, result.Scanned);
    }

    [Fact]
    public void When_nothing_fits_every_worker_was_looked_at()
    {
        var workers = Enumerable.Range(0, 1000).Select(n => Worker(n, cpu: 1)).ToArray();
        var result = PlacementAlgorithm.Place(Request(cpu: 2), workers, new PlacementSettings(100, 5), start: 321);
        Assert.False(result.Placed);
        Assert.Equal(1000, result.Scanned);
        Assert.Equal("no worker fits: 1000 exhausted cpu", result.Reason);
    }

    [Fact]
    public void The_scan_wraps_round_from_its_start()
    {
        var workers = Enumerable.Range(0, 10).Select(n => Worker(n, active: n == 2)).ToArray();
        var result = PlacementAlgorithm.Place(Request(), workers, new PlacementSettings(MinFeasible: 1, Percentage: 0), start: 7);
        Assert.Equal(Id(2), result.WorkerId);
        Assert.Equal(6, result.Scanned); // 7, 8, 9, 0, 1, 2
    }

    [Fact]
    public void The_placer_starts_each_scan_where_the_last_one_stopped()
    {
        var workers = Enumerable.Range(0, 1000).Select(n => Worker(n)).ToArray();
        var placer = new Placer(new PlacementSettings(100, 5), new FixedRandom(250));
        var first = placer.Place(Request(scoring: ScoringMode.Spread), workers);
        var second = placer.Place(Request(scoring: ScoringMode.Spread), workers);
        // All equal: each scan picks the lowest id of its own 100 workers.
        Assert.Equal(Id(250), first.WorkerId);
        Assert.Equal(Id(350), second.WorkerId);

        // Over ten decisions the scans have covered the whole fleet once.
        var seen = new HashSet<Guid>();
        var covering = new Placer(new PlacementSettings(100, 5), new FixedRandom(0));
        for (var i = 0; i < 10; i++) seen.Add(covering.Place(Request(scoring: ScoringMode.Spread), workers).WorkerId!.Value);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => Id(i * 100)), seen.OrderBy(g => g));
    }

    [Fact]
    public void The_vms_of_one_batch_are_packed_into_one_window_and_the_next_batch_scans_past_it()
    {
        var workers = Enumerable.Range(0, 1000).Select(n => Worker(n, cpu: 8)).ToArray();
        var placer = new Placer(new PlacementSettings(100, 5), new FixedRandom(250));
        var chosen = new List<Guid>();
        placer.BeginBatch();
        for (var i = 0; i < 16; i++)
        {
            var request = Request(cpu: 1);
            var result = placer.Place(request, workers);
            workers[result.Index] = workers[result.Index].Allocate(request);
            chosen.Add(result.WorkerId!.Value);
        }
        placer.EndBatch(workers.Length);
        // Bin-packing within the batch's window (workers 250-349): the first worker is filled, then the next one,
        // instead of 16 VMs on 16 workers as rotating scans would spread them.
        Assert.Equal(Enumerable.Repeat(Id(250), 8).Concat(Enumerable.Repeat(Id(251), 8)), chosen);
        // The next scan starts past the widest scan of the batch (101 workers once worker 250 was full).
        Assert.Equal(Id(351), placer.Place(Request(cpu: 1, scoring: ScoringMode.Spread), workers).WorkerId);
    }

    [Fact]
    public void The_same_seed_gives_the_same_decisions()
    {
        var random = new Random(42);
        var workers = Enumerable.Range(0, 2000).Select(n => Worker(n, cpu: 4 + random.Next(60), usedCpu: random.Next(4))).ToArray();
        IEnumerable<Guid?> Run(int seed)
        {
            var placer = new Placer(new PlacementSettings(100, 5), new Random(seed));
            return Enumerable.Range(0, 50).Select(_ => placer.Place(Request(), workers).WorkerId).ToList();
        }
        Assert.Equal(Run(7), Run(7));
        Assert.NotEqual(Run(7), Run(8));
    }

    /// <summary>A random source that always answers the same start.</summary>
    private sealed class FixedRandom(int value) : Random
    {
        public override int Next(int maxValue) => value % maxValue;
    }
}
