using System.Net;
using Aetherium.Contracts;
using Aetherium.Contracts.Agent;
using Aetherium.Testing;
using Xunit;

namespace Aetherium.Inventory.Tests;

public sealed class DesiredStateTests(InventoryFixture fx) : IClassFixture<InventoryFixture>
{
    private static DesiredVm Vm(Guid id, string name, int cpu = 2, int memory = 2048, int disk = 20) =>
        new(id, name, "ubuntu-24.04", cpu, memory, disk, 0, PowerStates.Running, Port: 20000);

    [Fact]
    public async Task A_desired_state_from_the_scheduler_reaches_the_agent_and_fills_the_views()
    {
        var tenant = Tenant.New();
        using var api = fx.Factory.As(tenant.Token);
        var (id, token, _) = await api.EnrollAsync("desired");
        var (agent, _) = await TestAgent.JoinAsync(fx.Factory, token);
        await using var _ = agent;
        var vm1 = Guid.NewGuid();
        var vm2 = Guid.NewGuid();

        var access = new VmAccess("tenant", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKxvPLbqbn5VS+Sf1wQbJW3n0PV7mBUm0gpuLClIqzkH", null);
        await fx.Bus.PublishAsync(new WorkerDesiredStateChanged(id, 1,
            [Vm(vm1, "dev-vm-1"), Vm(vm2, "dev-vm-2", cpu: 1, memory: 512) with { Access = access }], DateTimeOffset.UtcNow));
        var frame = await agent.WaitForAsync(FrameTypes.DesiredState);
        var pushed = frame.DataAs<DesiredStateData>()!;
        Assert.Equal(1, pushed.Version);
        Assert.Equal([vm1, vm2], pushed.Vms.Select(v => v.VmId));
        Assert.Equal(20000, pushed.Vms[0].Port);
        // The tenant's sign-in travels with its VM, in the protocol's snake_case.
        Assert.Null(pushed.Vms[0].Access);
        Assert.Equal(access, pushed.Vms[1].Access);
        Assert.Equal(access.SshPublicKey, (string?)frame.Data!["vms"]![1]!["access"]!["ssh_public_key"]);

        var w = await Eventually.GetAsync(() => api.WorkerAsync(id), w => (int)w["vm_count"]! == 2);
        Assert.Equal(3, (int)w["used_cpu_cores"]!);
        Assert.Equal(2560, (long)w["used_memory_mb"]!);
        Assert.Equal(40, (long)w["used_disk_gb"]!);
        var vms = await (await api.GetAsync($"/api/v1/workers/{id}/vms")).JsonAsync();
        Assert.All(vms["vms"]!.AsArray(), v => Assert.Equal("scheduled", (string)v!["status"]!));

        // An older or repeated version changes nothing and is not pushed.
        await fx.Bus.PublishAsync(new WorkerDesiredStateChanged(id, 0, [], DateTimeOffset.UtcNow));
        await fx.Bus.PublishAsync(new WorkerDesiredStateChanged(id, 1, [], DateTimeOffset.UtcNow));
        await fx.Bus.PublishAsync(new WorkerDesiredStateChanged(id, 2, [Vm(vm1, "dev-vm-1")], DateTimeOffset.UtcNow));
        var v2 = (await agent.WaitForAsync(FrameTypes.DesiredState, f => f.DataAs<DesiredStateData>()!.Version == 2)).DataAs<DesiredStateData>()!;
        Assert.Single(v2.Vms);
        Assert.Equal(2, agent.Frames.Count(f => f.Type == FrameTypes.DesiredState));
        Assert.Equal(1, (int)(await api.WorkerAsync(id))["vm_count"]!);
    }

    [Fact]
    public async Task The_agent_of_the_other_replica_gets_the_desired_state()
    {
        // Replica B holds the session but is on another virtual host: it never sees the scheduler's event,
        // so only replica A can consume it, and the push must cross replicas through PostgreSQL.
        var infra = await SharedInfrastructure.GetAsync();
        var elsewhere = await infra.CreateVirtualHostAsync(SharedInfrastructure.UniqueName("elsewhere"));
        await using var b = await fx.Factory.ReplicaAsync(fx.Factory.Settings with { MessagingConnectionString = elsewhere });
        using var api = fx.Factory.As(Tenant.New().Token);
        var (id, token, _) = await api.EnrollAsync("cross-replica");
        var (agent, ack) = await TestAgent.JoinAsync(b, token);
        await using var _ = agent;
        Assert.Equal(0, ack.Desired.Version);
        await Eventually.TrueAsync(() => Task.FromResult(((Agents.SessionNotificationListener)b.Services.GetService(typeof(Agents.SessionNotificationListener))!).Listening));

        var vm = Guid.NewGuid();
        await fx.Bus.PublishAsync(new WorkerDesiredStateChanged(id, 5, [Vm(vm, "far")], DateTimeOffset.UtcNow));
        var pushed = (await agent.WaitForAsync(FrameTypes.DesiredState)).DataAs<DesiredStateData>()!;
        Assert.Equal(5, pushed.Version);
        Assert.Equal(vm, Assert.Single(pushed.Vms).VmId);
    }

    [Fact]
    public async Task An_agent_behind_the_desired_version_gets_it_again_with_its_next_heartbeats()
    {
        using var api = fx.Factory.As(Tenant.New().Token);
        var (id, token, _) = await api.EnrollAsync("behind");
        var (agent, _) = await TestAgent.JoinAsync(fx.Factory, token);
        await using var _ = agent;
        await fx.Bus.PublishAsync(new WorkerDesiredStateChanged(id, 3, [Vm(Guid.NewGuid(), "lost")], DateTimeOffset.UtcNow));
        await agent.WaitForAsync(FrameTypes.DesiredState);

        // The agent "lost" it: it keeps reporting version 0.
        agent.StartHeartbeats(TimeSpan.FromMilliseconds(300), () => new HeartbeatData(10, 10, 10, 100, [], DesiredVersion: 0));
        await agent.WaitForAsync(FrameTypes.DesiredState, skip: 1, timeout: TimeSpan.FromSeconds(5));

        // Once it reports the version applied, no more resends.
        agent.StartHeartbeats(TimeSpan.FromMilliseconds(300), () => new HeartbeatData(10, 10, 10, 100, [], DesiredVersion: 3));
        await Task.Delay(600);
        var count = agent.Frames.Count(f => f.Type == FrameTypes.DesiredState);
        await Task.Delay(1500);
        Assert.Equal(count, agent.Frames.Count(f => f.Type == FrameTypes.DesiredState));
    }

    [Fact]
    public async Task A_newer_applied_desired_version_is_published_once_even_when_the_agent_runs_no_vm()
    {
        using var api = fx.Factory.As(Tenant.New().Token);
        var (id, token, _) = await api.EnrollAsync("applied");
        var (agent, _) = await TestAgent.JoinAsync(fx.Factory, token);
        await using var _ = agent;
        await fx.Bus.PublishAsync(new WorkerDesiredStateChanged(id, 2, [Vm(Guid.NewGuid(), "last")], DateTimeOffset.UtcNow));
        await agent.WaitForAsync(FrameTypes.DesiredState);
        await agent.HeartbeatAsync(2);
        await fx.Bus.WaitForAsync<WorkerDesiredStateApplied>(e => e.WorkerId == id && e.DesiredVersion == 2);

        // Its last VM deleted: the set is empty, the heartbeat names no VM, and only the version tells it was applied.
        await fx.Bus.PublishAsync(new WorkerDesiredStateChanged(id, 3, [], DateTimeOffset.UtcNow));
        await agent.WaitForAsync(FrameTypes.DesiredState, skip: 1);
        for (var i = 0; i < 3; i++) await agent.HeartbeatAsync(3);
        var applied = await fx.Bus.WaitForAsync<WorkerDesiredStateApplied>(e => e.WorkerId == id && e.DesiredVersion == 3);
        Assert.Equal(id, applied.WorkerId);
        await Task.Delay(1500); // the flusher's next batches
        Assert.Single(fx.Bus.Received<WorkerDesiredStateApplied>(), e => e.WorkerId == id && e.DesiredVersion == 3);
        Assert.Single(fx.Bus.Received<WorkerDesiredStateApplied>(), e => e.WorkerId == id && e.DesiredVersion == 2);
    }

    [Fact]
    public async Task Vm_states_reported_by_the_agent_are_shown_and_published_only_when_they_change()
    {
        using var api = fx.Factory.As(Tenant.New().Token);
        var (id, token, _) = await api.EnrollAsync("observed");
        var (agent, _) = await TestAgent.JoinAsync(fx.Factory, token);
        await using var _ = agent;
        var vm = Guid.NewGuid();
        await fx.Bus.PublishAsync(new WorkerDesiredStateChanged(id, 1, [Vm(vm, "watched")], DateTimeOffset.UtcNow));
        await agent.WaitForAsync(FrameTypes.DesiredState);

        for (var i = 0; i < 3; i++) await agent.HeartbeatAsync(1, [new VmActualState(vm, AgentVmStates.Provisioning, DesiredVersion: 1)]);
        var provisioning = await fx.Bus.WaitForAsync<VmObserved>(e => e.VmId == vm && e.State == "provisioning");
        Assert.Equal(id, provisioning.WorkerId);
        Assert.Equal(1, provisioning.DesiredVersion);
        await Eventually.TrueAsync(async () =>
            (string)(await (await api.GetAsync($"/api/v1/workers/{id}/vms")).JsonAsync())["vms"]![0]!["status"]! == "provisioning");

        for (var i = 0; i < 3; i++) await agent.HeartbeatAsync(1, [new VmActualState(vm, AgentVmStates.Running, DesiredVersion: 1)]);
        await fx.Bus.WaitForAsync<VmObserved>(e => e.VmId == vm && e.State == "running");
        await Task.Delay(1000);
        Assert.Single(fx.Bus.Received<VmObserved>(), e => e.VmId == vm && e.State == "provisioning");
        Assert.Single(fx.Bus.Received<VmObserved>(), e => e.VmId == vm && e.State == "running");

        // A new session (reconnect) reporting the same state publishes nothing new.
        await agent.DisposeAsync();
        var (again, _) = await TestAgent.JoinAsync(fx.Factory, token);
        await using var __ = again;
        await again.HeartbeatAsync(1, [new VmActualState(vm, AgentVmStates.Running, DesiredVersion: 1)]);
        await again.HeartbeatAsync(1, [new VmActualState(vm, AgentVmStates.Failed, "exit code 1", 1, Restarts: 3)]);
        var failed = await fx.Bus.WaitForAsync<VmObserved>(e => e.VmId == vm && e.State == "failed");
        Assert.Equal("exit code 1", failed.Reason);
        Assert.Single(fx.Bus.Received<VmObserved>(), e => e.VmId == vm && e.State == "running");
        var shown = (await (await api.GetAsync($"/api/v1/workers/{id}/vms")).JsonAsync())["vms"]![0]!;
        Assert.Equal("failed", (string)shown["status"]!);
        Assert.Equal("exit code 1", (string)shown["status_reason"]!);
    }

    [Fact]
    public async Task A_state_first_reported_against_an_older_version_is_published_again_against_the_version_that_placed_the_vm()
    {
        // The VM kept running on this agent through a reconnect while the scheduler placed it here again in
        // version 2: the agent reports it running before it has applied version 2, and the scheduler drops
        // that report as stale. The same state reported against version 2 must reach the scheduler too.
        using var api = fx.Factory.As(Tenant.New().Token);
        var (id, token, _) = await api.EnrollAsync("stale-report");
        var (agent, _) = await TestAgent.JoinAsync(fx.Factory, token);
        await using var _ = agent;
        var vm = Guid.NewGuid();
        await fx.Bus.PublishAsync(new WorkerDesiredStateChanged(id, 2, [Vm(vm, "kept") with { ChangedIn = 2 }], DateTimeOffset.UtcNow));
        await agent.WaitForAsync(FrameTypes.DesiredState);

        await agent.HeartbeatAsync(1, [new VmActualState(vm, AgentVmStates.Running, DesiredVersion: 1)]);
        await fx.Bus.WaitForAsync<VmObserved>(e => e.VmId == vm && e.DesiredVersion == 1);
        await agent.HeartbeatAsync(2, [new VmActualState(vm, AgentVmStates.Running, DesiredVersion: 2)]);
        var current = await fx.Bus.WaitForAsync<VmObserved>(e => e.VmId == vm && e.DesiredVersion == 2);
        Assert.Equal(AgentVmStates.Running, current.State);

        // A later version in which this VM did not change passes no report of it on.
        var other = Guid.NewGuid();
        await fx.Bus.PublishAsync(new WorkerDesiredStateChanged(id, 3, [Vm(vm, "kept") with { ChangedIn = 2 }, Vm(other, "new") with { ChangedIn = 3 }], DateTimeOffset.UtcNow));
        await agent.WaitForAsync(FrameTypes.DesiredState, f => f.DataAs<DesiredStateData>()!.Version == 3);
        await agent.HeartbeatAsync(3, [new VmActualState(vm, AgentVmStates.Running, DesiredVersion: 3), new VmActualState(other, AgentVmStates.Running, DesiredVersion: 3)]);
        await fx.Bus.WaitForAsync<VmObserved>(e => e.VmId == other && e.State == AgentVmStates.Running);
        await Task.Delay(1000);
        Assert.Equal(2, fx.Bus.Received<VmObserved>().Count(e => e.VmId == vm));
    }

    [Fact]
    public async Task Vms_of_an_unknown_worker_answer_404()
    {
        using var api = fx.Factory.As(Tenant.New().Token);
        await (await api.GetAsync($"/api/v1/workers/{Guid.NewGuid()}/vms")).ProblemAsync(HttpStatusCode.NotFound);
    }
}
