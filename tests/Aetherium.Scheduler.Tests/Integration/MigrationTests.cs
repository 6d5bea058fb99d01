using System.Net.Http.Json;
using Aetherium.Contracts;
using Aetherium.Scheduler.Vms;
using Aetherium.Testing;
using Xunit;

namespace Aetherium.Scheduler.Tests.Integration;

/// <summary>VMs leave workers that go offline or drain, keep their ids, and run again elsewhere.</summary>
public sealed class MigrationTests(DefaultHost fixture) : IClassFixture<DefaultHost>
{
    private SchedulerHost Host => fixture.Host;
    private TestBus Bus => fixture.Host.Bus;
    private SimulatedInventory Inventory => fixture.Host.Inventory;

    private static string Zone() => "zone-" + Guid.NewGuid().ToString("N")[..8];

    private static async Task<List<VmResponse>> CreateRunningAsync(Tenant tenant, string zone, int count, int cpu = 1)
    {
        var vms = new List<VmResponse>();
        for (var i = 0; i < count; i++) vms.Add(await tenant.CreateVmAsync($"vm-{i}", new { cpu_cores = cpu, memory_mb = 512, disk_gb = 5, image_id = "debian-12", zone }));
        foreach (var vm in vms) await tenant.WaitForStatusAsync(vm.Id, VmStatus.Running);
        return vms;
    }

    private static async Task<List<VmResponse>> ListAsync(Tenant tenant) =>
        (await tenant.Http.GetFromJsonAsync<VmList>("/api/v1/vms?limit=500", Tenant.Json))!.Vms.ToList();

    [Fact]
    public async Task A_worker_that_goes_offline_has_its_vms_migrated_and_running_elsewhere()
    {
        var zone = Zone();
        var a = await Inventory.AddWorkerAsync(zone, cpu: 8);
        var tenant = new Tenant(Host);
        var vms = await CreateRunningAsync(tenant, zone, 3);
        Assert.All(await ListAsync(tenant), v => Assert.Equal(a, v.WorkerId));
        var b = await Inventory.AddWorkerAsync(zone, cpu: 8);
        await Host.WaitKnownAsync(b);

        await Inventory.SetStatusAsync(a, WorkerStatus.Offline);
        foreach (var vm in vms)
        {
            var moved = await tenant.WaitForVmAsync(vm.Id, v => v.Status == VmStatus.Running && v.WorkerId == b, "the VM runs on the other worker");
            Assert.Equal(vm.Name, moved.Name);
            var migrated = await Bus.WaitForAsync<VmMigrated>(m => m.VmId == vm.Id);
            Assert.Equal((a, b, "worker offline"), (migrated.FromWorkerId, migrated.ToWorkerId, migrated.Reason));
            Assert.Contains(Bus.Received<VmStateChanged>(), e => e.VmId == vm.Id && e.NewStatus == VmStatus.Migrating);
        }
        var lastOfA = Bus.Received<WorkerDesiredStateChanged>().Where(d => d.WorkerId == a).MaxBy(d => d.Version)!;
        Assert.Empty(lastOfA.Vms);

        // Back to active, the worker is schedulable again; its agent gets a set without the moved VMs,
        // stops their stale copies, and its reports about them do not disturb the VMs on b.
        await Inventory.SetStatusAsync(a, WorkerStatus.Active);
        await Host.WaitKnownAsync(a);
        var fresh = await tenant.CreateVmAsync("after", new { cpu_cores = 1, memory_mb = 512, image_id = "debian-12", zone, scoring = "spread" });
        Assert.Equal(a, (await tenant.WaitForStatusAsync(fresh.Id, VmStatus.Running)).WorkerId);
        await Eventually.TrueAsync(() => Task.FromResult(Inventory.Running(a).Keys.SequenceEqual([fresh.Id])), because: "the stale copies stopped");
        await Task.Delay(500);
        Assert.All(await Task.WhenAll(vms.Select(v => tenant.GetVmAsync(v.Id))), v => Assert.Equal((VmStatus.Running, b), (v.Status, v.WorkerId!.Value)));
    }

    [Fact]
    public async Task A_VM_moved_to_a_worker_at_the_same_address_gets_a_port_its_stale_copy_does_not_hold()
    {
        // Two agents on one machine (or behind one NAT): the copy left on the offline one may still listen.
        var zone = Zone();
        var address = $"10.1.{Random.Shared.Next(256)}.{Random.Shared.Next(1, 255)}";
        var a = await Inventory.AddWorkerAsync(zone, address: address);
        var tenant = new Tenant(Host);
        var vm = (await CreateRunningAsync(tenant, zone, 1)).Single();
        var before = await tenant.GetVmAsync(vm.Id);
        Assert.Equal((a, address), (before.WorkerId!.Value, before.Address));
        var b = await Inventory.AddWorkerAsync(zone, address: address);
        await Host.WaitKnownAsync(b);

        await Inventory.SetStatusAsync(a, WorkerStatus.Offline);
        var migrating = await Bus.WaitForAsync<VmStateChanged>(e => e.VmId == vm.Id && e.NewStatus == VmStatus.Migrating);
        Assert.Equal((null, null, null), (migrating.WorkerId, migrating.WorkerAddress, migrating.Port)); // reachable nowhere while it moves
        var moved = await tenant.WaitForVmAsync(vm.Id, v => v.Status == VmStatus.Running && v.WorkerId == b, "the VM runs on the other worker");
        Assert.Equal(address, moved.Address);
        Assert.NotEqual(before.Port, moved.Port);
    }

    [Fact]
    public async Task A_drain_moves_vms_off_at_most_max_parallel_at_a_time()
    {
        var zone = Zone();
        var a = await Inventory.AddWorkerAsync(zone, cpu: 16);
        var tenant = new Tenant(Host);
        var vms = await CreateRunningAsync(tenant, zone, 5);
        var b = await Inventory.AddWorkerAsync(zone, cpu: 16);
        var c = await Inventory.AddWorkerAsync(zone, cpu: 16);
        // The new workers' agents hold their reports back: a moved VM stays in flight until we let them report.
        Inventory.Hold(b);
        Inventory.Hold(c);

        await Inventory.SetStatusAsync(a, WorkerStatus.Draining, DateTimeOffset.UtcNow.AddMinutes(10), drainMaxParallel: 2);
        var maxInFlight = 0;
        for (var round = 0; round < 5; round++)
        {
            var leftOnA = (await ListAsync(tenant)).Count(v => v.WorkerId == a);
            if (leftOnA == 0) break;
            var now = await Eventually.GetAsync(() => ListAsync(tenant), l => InFlight(l, a) >= Math.Min(2, leftOnA),
                TimeSpan.FromSeconds(20), "the next moves start");
            // With none of them arrived, no further VM may leave, however long we wait.
            await Task.Delay(1500);
            var later = await ListAsync(tenant);
            var moving = later.Where(v => v.WorkerId != a && v.Status != VmStatus.Running).Select(v => v.Id).ToList();
            maxInFlight = Math.Max(maxInFlight, moving.Count);
            Assert.True(moving.Count <= 2, $"{moving.Count} VMs in flight");
            Assert.Equal(InFlight(now, a), moving.Count);
            Assert.Equal(now.Count(v => v.WorkerId == a), later.Count(v => v.WorkerId == a));

            // Their agents report them running: the moves are over and the next ones may begin.
            await Inventory.FlushAsync(b);
            await Inventory.FlushAsync(c);
            foreach (var id in moving) await tenant.WaitForStatusAsync(id, VmStatus.Running);
        }
        Assert.Equal(2, maxInFlight);
        await Inventory.ReleaseAsync(b);
        await Inventory.ReleaseAsync(c);
        var done = await Eventually.GetAsync(() => ListAsync(tenant), l => l.All(v => v.Status == VmStatus.Running && v.WorkerId != a),
            TimeSpan.FromSeconds(30), "every VM runs off the drained worker");
        Assert.Equal(vms.Select(v => v.Id).Order(), done.Select(v => v.Id).Order());
        await Eventually.TrueAsync(() => Task.FromResult(Bus.Received<VmMigrated>().Count(m => m.FromWorkerId == a) == 5), because: "five moves announced");
        Assert.Equal(5, Bus.Received<VmMigrated>().Count(m => m.FromWorkerId == a && m.Reason == "worker draining"));
        Assert.Empty(Bus.Received<WorkerDesiredStateChanged>().Where(d => d.WorkerId == a).MaxBy(d => d.Version)!.Vms);
    }

    /// <summary>VMs that left the worker but are not yet observed running on their new one.</summary>
    private static int InFlight(IEnumerable<VmResponse> vms, Guid from) => vms.Count(v => v.WorkerId != from && v.Status != VmStatus.Running);

    [Fact]
    public async Task When_the_drain_deadline_passes_everything_left_moves_at_once()
    {
        var zone = Zone();
        var a = await Inventory.AddWorkerAsync(zone, cpu: 16);
        var tenant = new Tenant(Host);
        await CreateRunningAsync(tenant, zone, 3);
        var b = await Inventory.AddWorkerAsync(zone, cpu: 16);
        Inventory.Hold(b);

        var deadline = DateTimeOffset.UtcNow.AddSeconds(8);
        await Inventory.SetStatusAsync(a, WorkerStatus.Draining, deadline, drainMaxParallel: 1);
        await Eventually.GetAsync(() => ListAsync(tenant), l => InFlight(l, a) == 1, TimeSpan.FromSeconds(8), "the first move starts");
        await Task.Delay(1500);
        var early = await ListAsync(tenant);
        Assert.True(DateTimeOffset.UtcNow < deadline, "the check ran before the deadline");
        Assert.Equal((2, 1), (early.Count(v => v.WorkerId == a), InFlight(early, a)));

        await Eventually.GetAsync(() => ListAsync(tenant), l => l.All(v => v.WorkerId != a), TimeSpan.FromSeconds(20), "the deadline moves the rest");
        await Eventually.TrueAsync(() => Task.FromResult(Bus.Received<VmMigrated>().Count(m => m.FromWorkerId == a) == 3), because: "all three were placed again");
        Assert.Equal(2, Bus.Received<VmMigrated>().Count(m => m.FromWorkerId == a && m.Reason == "drain deadline passed"));
        await Inventory.ReleaseAsync(b);
        await Eventually.GetAsync(() => ListAsync(tenant), l => l.All(v => v.Status == VmStatus.Running && v.WorkerId == b), TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task A_draining_worker_keeps_vms_that_have_nowhere_to_go_until_capacity_appears()
    {
        var zone = Zone();
        var a = await Inventory.AddWorkerAsync(zone, cpu: 8);
        var tenant = new Tenant(Host);
        var vms = await CreateRunningAsync(tenant, zone, 2, cpu: 2);

        await Inventory.SetStatusAsync(a, WorkerStatus.Draining, DateTimeOffset.UtcNow.AddMinutes(10), drainMaxParallel: 2);
        await Task.Delay(2000);
        Assert.All(await ListAsync(tenant), v => Assert.Equal((a, VmStatus.Running), (v.WorkerId!.Value, v.Status)));

        var b = await Inventory.AddWorkerAsync(zone, cpu: 8);
        foreach (var vm in vms)
            await tenant.WaitForVmAsync(vm.Id, v => v.WorkerId == b && v.Status == VmStatus.Running, "the VM moves once it has somewhere to go");
    }
}

public sealed class MassFailureHost : HostFixture
{
    public const double RatePerSecond = 2;

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Scheduler:Migration:MassFailureMinWorkers"] = "2",
        ["Scheduler:Migration:MassFailureShare"] = "0.2",
        ["Scheduler:Migration:RatePerSecond"] = RatePerSecond.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Scheduler:Migration:Burst"] = "1",
    };
}

public sealed class MassFailureTests(MassFailureHost fixture) : IClassFixture<MassFailureHost>
{
    [Fact]
    public async Task When_many_workers_fail_at_once_vms_are_rescheduled_at_the_bounded_rate()
    {
        var host = fixture.Host;
        var zone = "mass";
        var failing = new[]
        {
            await host.Inventory.AddWorkerAsync(zone, cpu: 4),
            await host.Inventory.AddWorkerAsync(zone, cpu: 4),
            await host.Inventory.AddWorkerAsync(zone, cpu: 4),
        };
        var tenant = new Tenant(host);
        var vms = new List<VmResponse>();
        for (var i = 0; i < 6; i++) vms.Add(await tenant.CreateVmAsync($"m{i}", new { cpu_cores = 2, memory_mb = 512, image_id = "debian-12", zone }));
        foreach (var vm in vms) await tenant.WaitForStatusAsync(vm.Id, VmStatus.Running);
        var healthy = await host.Inventory.AddWorkerAsync(zone, cpu: 32);

        foreach (var worker in failing) await host.Inventory.SetStatusAsync(worker, WorkerStatus.Offline);
        foreach (var vm in vms)
            await tenant.WaitForVmAsync(vm.Id, v => v.Status == VmStatus.Running && v.WorkerId == healthy, "every VM runs on the healthy worker", seconds: 40);

        // At 2 VMs/s with a burst of 1, six VMs cannot leave their workers in less than 2.5 s.
        var left = host.Bus.Received<VmStateChanged>().Where(e => vms.Any(v => v.Id == e.VmId) && e.NewStatus == VmStatus.Migrating)
            .Select(e => e.OccurredAt).Order().ToList();
        Assert.Equal(6, left.Count);
        var span = left[^1] - left[0];
        Assert.True(span >= TimeSpan.FromSeconds((6 - 1) / MassFailureHost.RatePerSecond) - TimeSpan.FromMilliseconds(100),
            $"six VMs were released from their workers within {span.TotalMilliseconds:F0} ms");
    }
}
