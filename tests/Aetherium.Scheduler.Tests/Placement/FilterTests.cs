using Aetherium.Scheduler.Placement;
using Xunit;
using static Aetherium.Scheduler.Tests.Placement.Fleet;

namespace Aetherium.Scheduler.Tests.Placement;

public sealed class FilterTests
{
    [Fact]
    public void Only_active_workers_are_candidates()
    {
        var result = Place(Request(), Worker(1, active: false), Worker(2));
        Assert.Equal(Id(2), result.WorkerId);

        var none = Place(Request(), Worker(1, active: false));
        Assert.False(none.Placed);
        Assert.Equal("no worker fits: 1 not active", none.Reason);
    }

    [Fact]
    public void Cpu_memory_and_disk_must_be_free_and_an_exact_fit_is_a_fit()
    {
        var exact = Worker(1, cpu: 4, memoryMb: 4096, diskGb: 40, usedCpu: 2, usedMemoryMb: 2048, usedDiskGb: 20);
        Assert.True(Place(Request(cpu: 2, memoryMb: 2048, diskGb: 20), exact).Placed);

        Assert.Equal("no worker fits: 1 exhausted cpu", Place(Request(cpu: 3, memoryMb: 2048, diskGb: 20), exact).Reason);
        Assert.Equal("no worker fits: 1 exhausted memory", Place(Request(cpu: 2, memoryMb: 2049, diskGb: 20), exact).Reason);
        Assert.Equal("no worker fits: 1 exhausted disk", Place(Request(cpu: 2, memoryMb: 2048, diskGb: 21), exact).Reason);
    }

    [Fact]
    public void A_worker_at_max_vms_takes_no_more()
    {
        var full = Worker(1, maxVms: 3, vms: 3);
        var result = Place(Request(), full, Worker(2, maxVms: 3, vms: 2));
        Assert.Equal(Id(2), result.WorkerId);
        Assert.Equal("no worker fits: 1 at max_vms", Place(Request(), full).Reason);
    }

    [Fact]
    public void Gpu_requests_need_that_many_free_gpus()
    {
        var noGpu = Worker(1);
        var busyGpus = Worker(2, gpus: 2, usedGpus: 2);
        var oneFree = Worker(3, gpus: 2, usedGpus: 1);
        var twoFree = Worker(4, gpus: 4, usedGpus: 2);

        Assert.Equal(Id(3), Place(Request(gpus: 1), noGpu, busyGpus, oneFree).WorkerId);
        Assert.Equal(Id(4), Place(Request(gpus: 2), noGpu, busyGpus, oneFree, twoFree).WorkerId);
        Assert.Equal("no worker fits: 3 exhausted gpu", Place(Request(gpus: 2), noGpu, busyGpus, oneFree).Reason);
        // A VM without GPUs may use a GPU worker's CPU.
        Assert.True(Place(Request(gpus: 0), busyGpus).Placed);
    }

    [Fact]
    public void Zone_must_match_when_asked_for_ignoring_case()
    {
        var a = Worker(1, zone: "eu-west-1a");
        var b = Worker(2, zone: "eu-west-1b");
        Assert.Equal(Id(2), Place(Request(zone: "EU-WEST-1B"), a, b).WorkerId);
        Assert.Equal("no worker fits: 2 filtered by zone", Place(Request(zone: "us-east-1a"), a, b).Reason);
        Assert.True(Place(Request(zone: null), a).Placed);
    }

    [Fact]
    public void Every_requested_label_must_equal_the_workers()
    {
        var prodCompute = Worker(1, labels: new() { ["env"] = "production", ["tier"] = "compute", ["rack"] = "r1" });
        var prodStorage = Worker(2, labels: new() { ["env"] = "production", ["tier"] = "storage" });
        var unlabelled = Worker(3);

        var both = Request(labels: new() { ["env"] = "production", ["tier"] = "compute" });
        Assert.Equal(Id(1), Place(both, prodCompute, prodStorage, unlabelled).WorkerId);

        var result = Place(Request(labels: new() { ["env"] = "Production" }), prodCompute, prodStorage, unlabelled);
        Assert.Equal("no worker fits: 3 filtered by labels", result.Reason); // values are case-sensitive
        Assert.True(Place(Request(labels: new()), unlabelled).Placed);
    }

    [Fact]
    public void A_worker_that_lists_its_images_runs_only_those()
    {
        var debianOnly = Worker(1, images: ["debian-12"]);
        var any = Worker(2, images: null);
        var emptyList = Worker(3, images: []);

        Assert.Equal(Id(1), Place(Request(image: "debian-12"), debianOnly).WorkerId);
        Assert.Equal("no worker fits: 1 filtered by image", Place(Request(image: "ubuntu-24.04"), debianOnly).Reason);
        Assert.Equal(Id(2), Place(Request(image: "ubuntu-24.04"), debianOnly, any).WorkerId);
        Assert.True(Place(Request(image: "ubuntu-24.04"), emptyList).Placed);
    }

    [Fact]
    public void The_vm_needs_one_of_its_runtimes_on_the_worker()
    {
        var simulatedOnly = Worker(1, runtimes: ["simulated"]);
        var processOnly = Worker(2, runtimes: ["process"]);
        var unreported = Worker(3, runtimes: []);

        Assert.Equal(Id(2), Place(Request(runtimes: ["process"]), simulatedOnly, processOnly).WorkerId);
        Assert.Equal("no worker fits: 1 filtered by runtime", Place(Request(runtimes: ["process"]), simulatedOnly).Reason);
        Assert.True(Place(Request(runtimes: ["process"]), unreported).Placed);
        Assert.True(Place(Request(runtimes: null), simulatedOnly).Placed);
    }

    [Fact]
    public void The_reason_counts_each_worker_once_by_the_first_filter_that_refused_it()
    {
        var result = Place(Request(cpu: 4, memoryMb: 8192, zone: "zone-a"),
            Worker(1, active: false),
            Worker(2, zone: "zone-b"),
            Worker(3, zone: "zone-b", cpu: 1), // wrong zone and too small: counted as zone
            Worker(4, memoryMb: 4096),
            Worker(5, memoryMb: 4096),
            Worker(6, cpu: 2, memoryMb: 1024),
            Worker(7, diskGb: 5));
        Assert.False(result.Placed);
        Assert.Equal("no worker fits: 1 not active, 2 filtered by zone, 1 exhausted cpu, 2 exhausted memory, 1 exhausted disk", result.Reason);
        Assert.Equal(7, result.Counts.Total);
    }

    [Fact]
    public void An_empty_fleet_says_so()
    {
        var result = PlacementAlgorithm.Place(Request(), ReadOnlySpan<WorkerView>.Empty, ScoreAll);
        Assert.False(result.Placed);
        Assert.Equal("no worker fits: no workers known", result.Reason);
    }
}
