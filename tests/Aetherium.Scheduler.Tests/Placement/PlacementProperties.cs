using Aetherium.Scheduler.Placement;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Aetherium.Scheduler.Tests.Placement;

/// <summary>
/// Properties over random fleets and random sequences of requests: placing one VM after another,
/// each on the worker the placer chose, never pushes any worker past any of its limits, never lands
/// on a worker a filter should have refused, and says "nothing fits" only when nothing does.
/// </summary>
public sealed class PlacementProperties
{
    private static readonly string[] Zones = ["zone-a", "zone-b", "zone-c"];
    private static readonly string[] Images = ["ubuntu-24.04", "ubuntu-22.04", "debian-12"];
    private static readonly string[] Runtimes = ["process", "simulated"];

    private static Gen<WorkerView> WorkerGen =>
        from active in Gen.Frequency((4, Gen.Constant(true)), (1, Gen.Constant(false)))
        from zone in Gen.Elements(Zones)
        from env in Gen.Elements("prod", "dev", "")
        from cpu in Gen.Choose(1, 32)
        from memoryGb in Gen.Choose(1, 64)
        from disk in Gen.Choose(10, 500)
        from gpus in Gen.Frequency((3, Gen.Constant(0)), (1, Gen.Choose(1, 4)))
        from maxVms in Gen.Choose(1, 20)
        from images in Gen.Frequency((2, Gen.Constant<string[]?>(null)), (1, Gen.SubListOf(Images).Select(l => (string[]?)l.ToArray())))
        from runtimes in Gen.SubListOf(Runtimes)
        select new WorkerView(Guid.Empty, active, zone,
            env == "" ? new Dictionary<string, string>() : new Dictionary<string, string> { ["env"] = env },
            images, runtimes.ToArray(), cpu, memoryGb * 1024L, disk, gpus, maxVms);

    private static Gen<PlacementRequest> RequestGen =>
        from cpu in Gen.Choose(1, 16)
        from memoryMb in Gen.Choose(128, 32768)
        from disk in Gen.Choose(1, 200)
        from gpus in Gen.Frequency((4, Gen.Constant(0)), (1, Gen.Choose(1, 3)))
        from image in Gen.Elements(Images)
        from zone in Gen.Frequency((3, Gen.Constant<string?>(null)), (1, Gen.Elements(Zones).Select(z => (string?)z)))
        from env in Gen.Frequency((3, Gen.Constant<string?>(null)), (1, Gen.Elements("prod", "dev").Select(e => (string?)e)))
        from runtimes in Gen.Frequency((2, Gen.Constant<string[]?>(null)), (1, Gen.SubListOf(Runtimes).Select(l => (string[]?)l.ToArray())))
        from spread in Gen.Elements(true, false)
        select new PlacementRequest(cpu, memoryMb, disk, gpus, image, zone,
            env is null ? null : new Dictionary<string, string> { ["env"] = env }, runtimes, spread ? ScoringMode.Spread : ScoringMode.BinPack);

    private static Gen<(WorkerView[] Fleet, PlacementRequest[] Requests, int MinFeasible, int Seed)> ScenarioGen =>
        from size in Gen.Choose(0, 40)
        from workers in Gen.ArrayOf(WorkerGen, size)
        let fleet = workers.Select((w, i) => w.WithId(Fleet.Id(i))).ToArray()
        from count in Gen.Choose(1, 200)
        from requests in Gen.ArrayOf(RequestGen, count)
        from minFeasible in Gen.Elements(1, 3, 10, int.MaxValue)
        from seed in Gen.Choose(0, 1000)
        select (fleet, requests, minFeasible, seed);

    [Property(MaxTest = 300)]
    public Property No_sequence_of_placements_overcommits_a_worker() =>
        Prop.ForAll(ScenarioGen.ToArbitrary(), scenario =>
        {
            var (initial, requests, minFeasible, seed) = scenario;
            var fleet = (WorkerView[])initial.Clone();
            var placer = new Placer(new PlacementSettings(minFeasible, 5), new Random(seed));
            foreach (var request in requests)
            {
                var result = placer.Place(request, fleet);
                if (!result.Placed) continue;
                var chosen = fleet[result.Index];
                if (PlacementAlgorithm.Filter(request, chosen) != Rejection.None) return false;
                fleet[result.Index] = chosen.Allocate(request);
            }
            return fleet.All(w =>
                w.AllocatedCpu <= w.CpuCores && w.AllocatedMemoryMb <= w.MemoryMb && w.AllocatedDiskGb <= w.DiskGb
                && w.AllocatedGpus <= w.Gpus && w.VmCount <= w.MaxVms
                && (w.IsActive || w.VmCount == 0));
        });

    [Property(MaxTest = 300)]
    public Property Nothing_fits_only_when_no_worker_passes_every_filter() =>
        Prop.ForAll(ScenarioGen.ToArbitrary(), scenario =>
        {
            var (fleet, requests, minFeasible, seed) = scenario;
            var placer = new Placer(new PlacementSettings(minFeasible, 5), new Random(seed));
            return requests.All(request =>
            {
                var result = placer.Place(request, fleet);
                var anyFits = fleet.Any(w => PlacementAlgorithm.Filter(request, w) == Rejection.None);
                return result.Placed == anyFits && (result.Placed || result.Counts.Total == fleet.Length);
            });
        });

    [Property(MaxTest = 300)]
    public Property Scoring_everything_picks_the_best_feasible_worker() =>
        Prop.ForAll(ScenarioGen.ToArbitrary(), scenario =>
        {
            var (fleet, requests, _, _) = scenario;
            return requests.All(request =>
            {
                var result = PlacementAlgorithm.Place(request, fleet, Fleet.ScoreAll);
                if (!result.Placed) return true;
                var feasible = fleet.Where(w => PlacementAlgorithm.Filter(request, w) == Rejection.None).ToList();
                var best = feasible.Max(w => PlacementAlgorithm.Score(request, w));
                var winner = feasible.Where(w => PlacementAlgorithm.Score(request, w) == best).Min(w => w.Id);
                return result.WorkerId == winner;
            });
        });
}
