using System.Net.Http.Json;
using Aetherium.Contracts;
using Aetherium.Scheduler.Scheduling;
using Aetherium.Scheduler.Vms;
using Aetherium.Testing;
using Microsoft.Extensions.DependencyInjection;
using Xunit;
using Xunit.Abstractions;

namespace Aetherium.Scheduler.Tests.Integration;

public sealed class ReplicaHost : HostFixture
{
    // Small batches, so that the two replicas' placement transactions interleave.
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?> { ["Scheduler:BatchSize"] = "3" };
}

/// <summary>Two scheduler replicas on one database and one broker, placing concurrently.</summary>
public sealed class ReplicaTests(ReplicaHost fixture, ITestOutputHelper output) : IClassFixture<ReplicaHost>
{
    [Fact]
    public async Task Two_replicas_under_concurrent_creates_never_overcommit_a_worker()
    {
        var host = fixture.Host;
        await host.AddReplicaAsync();
        const string zone = "replicas";
        var workers = new List<Guid>();
        for (var i = 0; i < 4; i++) workers.Add(await host.Inventory.AddWorkerAsync(zone, cpu: 4, memoryMb: 16384));
        var organization = Guid.NewGuid();
        Tenant[] tenants = [new(host, 0, organization), new(host, 1, organization)];
        var admin = host.Client(TestTokens.Admin());
        await Eventually.TrueAsync(async () => (await CapacityAsync(admin, zone)).Count == 4, because: "both replicas know the workers");

        // 40 one-core VMs for 16 cores, sent to both replicas at once.
        var created = await Task.WhenAll(Enumerable.Range(0, 40).Select(i =>
            tenants[i % 2].CreateVmAsync($"c{i}", new { cpu_cores = 1, memory_mb = 512, disk_gb = 5, image_id = "debian-12", zone })));
        var settled = await Eventually.GetAsync(() => ListAsync(tenants[0]),
            l => l.Count(v => v.Status == VmStatus.Running) == 16 && l.Count(v => v.Status == VmStatus.Unschedulable) == 24,
            TimeSpan.FromSeconds(60), "16 VMs run and 24 wait");
        await AssertNoOvercommitAsync(host, admin, zone, workers, settled);

        // Capacity freed through one replica is taken by whichever replica gets there first, still within bounds.
        foreach (var vm in settled.Where(v => v.Status == VmStatus.Running).Take(4))
            using (await tenants[1].Http.DeleteAsync($"/api/v1/vms/{vm.Id}")) { }
        var after = await Eventually.GetAsync(() => ListAsync(tenants[0]),
            l => l.Count(v => v.Status == VmStatus.Running) == 16 && l.Count(v => v.Status == VmStatus.Unschedulable) == 20,
            TimeSpan.FromSeconds(60), "four waiting VMs took the freed cores");
        await AssertNoOvercommitAsync(host, admin, zone, workers, after);

        var stats = host.Replicas.Select(r => r.Services.GetRequiredService<PlacementStats>()).ToList();
        output.WriteLine($"placed by replica: {string.Join(", ", stats.Select(s => s.Placed))}; refused by the conditional update: {string.Join(", ", stats.Select(s => s.Refused))}");
        Assert.Equal(20, stats.Sum(s => s.Placed));
        Assert.Equal(40, created.Select(v => v.Id).Distinct().Count());
    }

    private static async Task AssertNoOvercommitAsync(SchedulerHost host, HttpClient admin, string zone, List<Guid> workers, List<VmResponse> vms)
    {
        var capacity = await CapacityAsync(admin, zone);
        foreach (var worker in workers)
        {
            var view = capacity.Single(w => w.Id == worker);
            var on = vms.Where(v => v.WorkerId == worker && v.Status == VmStatus.Running).ToList();
            Assert.True(view.Allocated.CpuCores <= view.Total.CpuCores, $"worker {worker} has {view.Allocated.CpuCores} of {view.Total.CpuCores} cores allotted");
            Assert.Equal(on.Sum(v => v.Spec.CpuCores), view.Allocated.CpuCores);
            Assert.Equal(on.Count, view.Allocated.Vms);
            Assert.Equal(on.Count, on.Select(v => v.Port).Distinct().Count());
        }

        // The newest desired state of each worker, as inventory would keep it: within capacity, and each VM on one worker only.
        var latest = await Eventually.GetAsync(
            () => Task.FromResult(workers.Select(w => host.Bus.Received<WorkerDesiredStateChanged>().Where(d => d.WorkerId == w).MaxBy(d => d.Version)!).ToList()),
            sets => sets.Sum(s => s.Vms.Count) == vms.Count(v => v.Status == VmStatus.Running),
            TimeSpan.FromSeconds(15), "the newest desired states reached the bus");
        Assert.All(latest, set => Assert.True(set.Vms.Sum(v => v.CpuCores) <= 4, $"{set.WorkerId}: {set.Vms.Count} VMs"));
        var placed = latest.SelectMany(s => s.Vms.Select(v => v.VmId)).ToList();
        Assert.Equal(placed.Count, placed.Distinct().Count());
        Assert.Equal(vms.Where(v => v.Status == VmStatus.Running).Select(v => v.Id).Order(), placed.Order());
    }

    private static async Task<List<VmResponse>> ListAsync(Tenant tenant) =>
        (await tenant.Http.GetFromJsonAsync<VmList>("/api/v1/vms?limit=500", Tenant.Json))!.Vms.ToList();

    private static async Task<List<Workers.SchedulerWorkerEndpoints.WorkerCapacityView>> CapacityAsync(HttpClient admin, string zone) =>
        (await admin.GetFromJsonAsync<Workers.SchedulerWorkerEndpoints.WorkerCapacityList>($"/api/v1/scheduler/workers?zone={zone}", Tenant.Json))!.Workers.ToList();
}
