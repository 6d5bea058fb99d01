using System.Text.Json;
using System.Text.Json.Nodes;
using Aetherium.Contracts;
using Aetherium.Contracts.Agent;
using Aetherium.Testing;
using Xunit;

namespace Aetherium.Inventory.Tests;

/// <summary>Seed 003's responses, field by field and type by type, on a registered worker running VMs.</summary>
public sealed class Seed003ShapeTests(InventoryFixture fx) : IClassFixture<InventoryFixture>
{
    private static readonly (string Field, JsonValueKind Kind)[] WorkerFields =
    [
        ("id", JsonValueKind.String), ("hostname", JsonValueKind.String), ("address", JsonValueKind.String), ("zone", JsonValueKind.String),
        ("status", JsonValueKind.String), ("labels", JsonValueKind.Object), ("capabilities", JsonValueKind.Array),
        ("cpu_cores", JsonValueKind.Number), ("memory_mb", JsonValueKind.Number), ("disk_gb", JsonValueKind.Number), ("gpus", JsonValueKind.Array),
        ("used_cpu_cores", JsonValueKind.Number), ("used_memory_mb", JsonValueKind.Number), ("used_disk_gb", JsonValueKind.Number),
        ("cpu_usage_percent", JsonValueKind.Number), ("memory_usage_percent", JsonValueKind.Number), ("vm_count", JsonValueKind.Number),
        ("max_vms", JsonValueKind.Number), ("started_at", JsonValueKind.String), ("last_seen", JsonValueKind.String),
        ("uptime", JsonValueKind.String), ("is_healthy", JsonValueKind.True), ("name", JsonValueKind.String),
    ];

    private static readonly (string Field, JsonValueKind Kind)[] VmFields =
    [
        ("id", JsonValueKind.String), ("name", JsonValueKind.String), ("status", JsonValueKind.String),
        ("vcpus", JsonValueKind.Number), ("memory_mb", JsonValueKind.Number),
    ];

    private static void AssertShape(JsonNode? node, (string Field, JsonValueKind Kind)[] fields)
    {
        var o = node!.AsObject();
        foreach (var (field, kind) in fields)
        {
            Assert.True(o.ContainsKey(field), $"missing {field} in {o}");
            Assert.True(o[field]!.GetValueKind() == kind, $"{field} is {o[field]!.GetValueKind()}, expected {kind}");
        }
    }

    private async Task<(HttpClient Api, Guid WorkerId, Guid VmId, TestAgent Agent)> RunningWorkerAsync()
    {
        var api = fx.Factory.As(Tenant.New().Token);
        var id = await api.CreateWorkerAsync("node1", "us-west-1a", new() { ["env"] = "production", ["tier"] = "compute" }, maxVms: 100);
        var token = await api.TokenAsync(id);
        var (agent, _) = await TestAgent.JoinAsync(fx.Factory, token, TestAgent.Facts("node1.example.com", cpuCores: 16, memoryMb: 32768));
        var vm = Guid.NewGuid();
        await fx.Bus.PublishAsync(new WorkerDesiredStateChanged(id, 1,
            [new DesiredVm(vm, "dev-vm-1", "ubuntu-24.04", 4, 8192, 50, 0, PowerStates.Running, Port: 20001)], DateTimeOffset.UtcNow));
        await agent.WaitForAsync(FrameTypes.DesiredState);
        agent.StartHeartbeats(TimeSpan.FromMilliseconds(300), () => new HeartbeatData(25, 25, 10, 9000, [new VmActualState(vm, AgentVmStates.Running, DesiredVersion: 1)], 1));
        await Eventually.TrueAsync(async () => (string)(await (await api.GetAsync($"/api/v1/workers/{id}/vms")).JsonAsync())["vms"]![0]!["status"]! == "running");
        return (api, id, vm, agent);
    }

    [Fact]
    public async Task Worker_list_details_vms_and_cluster_views_have_seed_003s_fields()
    {
        var (api, id, vm, agent) = await RunningWorkerAsync();
        await using var _ = agent;
        using var __ = api;

        var list = await (await api.GetAsync("/api/v1/workers?zone=us-west-1a")).JsonAsync();
        Assert.Equal(1, (int)list["total"]!);
        AssertShape(list["workers"]![0], WorkerFields);

        var w = await api.WorkerAsync(id);
        AssertShape(w, WorkerFields);
        Assert.Equal("node1.example.com", (string)w["hostname"]!);
        Assert.Equal("active", (string)w["status"]!);
        Assert.Equal(4, (int)w["used_cpu_cores"]!);
        Assert.Equal(8192, (long)w["used_memory_mb"]!);
        Assert.Equal(50, (long)w["used_disk_gb"]!);
        Assert.Equal(25.0, (double)w["cpu_usage_percent"]!);
        Assert.Equal(1, (int)w["vm_count"]!);
        Assert.Matches(@"^(\d+h)?(\d+m)?\d+s$", (string)w["uptime"]!);
        AssertShape(w["gpus"]![0], [("device_id", JsonValueKind.String), ("model", JsonValueKind.String), ("memory_total_mb", JsonValueKind.Number),
            ("memory_free_mb", JsonValueKind.Number), ("utilization", JsonValueKind.Number), ("temperature", JsonValueKind.Number)]);

        var vms = await (await api.GetAsync($"/api/v1/workers/{id}/vms")).JsonAsync();
        Assert.Equal(id.ToString(), (string)vms["worker_id"]!);
        Assert.Equal(1, (int)vms["total"]!);
        AssertShape(vms["vms"]![0], VmFields);
        Assert.Equal(vm.ToString(), (string)vms["vms"]![0]!["id"]!);
        Assert.Equal(4, (int)vms["vms"]![0]!["vcpus"]!);

        var stats = await (await api.GetAsync("/api/v1/cluster/stats")).JsonAsync();
        foreach (var field in new[] { "total_workers", "active_workers", "draining_workers", "offline_workers", "total_cpu_cores", "total_memory_mb",
                     "used_cpu_cores", "used_memory_mb", "available_cpu_cores", "available_memory_mb", "cluster_cpu_usage_percent",
                     "cluster_memory_usage_percent", "total_vms", "max_vms", "available_vm_slots" })
            Assert.True(stats[field]?.GetValueKind() == JsonValueKind.Number, $"{field}: {stats[field]}");
        Assert.Equal(1, (int)stats["total_workers"]!);
        Assert.Equal(1, (int)stats["active_workers"]!);
        Assert.Equal(16, (long)stats["total_cpu_cores"]!);
        Assert.Equal(4, (long)stats["used_cpu_cores"]!);
        Assert.Equal(12, (long)stats["available_cpu_cores"]!);
        Assert.Equal(32768 - 8192, (long)stats["available_memory_mb"]!);
        Assert.Equal(25.0, (double)stats["cluster_cpu_usage_percent"]!);
        Assert.Equal(1, (int)stats["total_vms"]!);
        Assert.Equal(99, (long)stats["available_vm_slots"]!);
        Assert.Equal(1, (int)stats["zones"]!["us-west-1a"]!);

        var distribution = await (await api.GetAsync("/api/v1/cluster/distribution")).JsonAsync();
        Assert.Equal(1, (int)distribution["total_workers"]!);
        var entry = distribution["distribution"]![0]!;
        AssertShape(entry, [("worker_id", JsonValueKind.String), ("hostname", JsonValueKind.String), ("zone", JsonValueKind.String),
            ("vm_count", JsonValueKind.Number), ("vms", JsonValueKind.Array)]);
        AssertShape(entry["vms"]![0], VmFields);
        Assert.Equal("running", (string)entry["vms"]![0]!["status"]!);

        var system = await (await api.GetAsync("/api/v1/system/stats")).JsonAsync();
        Assert.Equal(1, (int)system["total_workers"]!);
        Assert.Equal(1, (int)system["connected_agents"]!);
        Assert.Equal(1, (int)system["vms_by_state"]!["running"]!);
        Assert.Equal(1, (int)system["workers_by_status"]!["active"]!);
        Assert.True((long)system["replica"]!["heartbeats_received"]! > 0);
    }

    [Fact]
    public async Task Cluster_views_count_only_the_callers_organisation_and_admins_see_the_fleet()
    {
        var (api, id, _, agent) = await RunningWorkerAsync();
        await using var _ = agent;
        using var __ = api;
        using var other = fx.Factory.As(Tenant.New().Token);
        await other.CreateWorkerAsync("someone-elses", "eu-west-1a");

        var mine = await (await api.GetAsync("/api/v1/cluster/stats")).JsonAsync();
        Assert.Equal(1, (int)mine["total_workers"]!);
        Assert.False(mine["zones"]!.AsObject().ContainsKey("eu-west-1a"));
        var theirs = await (await other.GetAsync("/api/v1/cluster/distribution")).JsonAsync();
        Assert.DoesNotContain(theirs["distribution"]!.AsArray(), e => (string)e!["worker_id"]! == id.ToString());

        using var admin = fx.Factory.As(TestTokens.Admin());
        var fleet = await (await admin.GetAsync("/api/v1/cluster/stats")).JsonAsync();
        Assert.True((int)fleet["total_workers"]! >= 2);
        Assert.True(fleet["zones"]!.AsObject().ContainsKey("eu-west-1a"));
    }
}
