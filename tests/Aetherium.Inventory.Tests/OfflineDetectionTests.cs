using Aetherium.Contracts;
using Aetherium.Testing;
using Xunit;

namespace Aetherium.Inventory.Tests;

public sealed class FastTimeoutFixture : InventoryFixture
{
    protected override Dictionary<string, string?> Config => InventoryFactory.Fast(
        ("Inventory:OfflineTimeout", "00:00:01.500"),
        ("Inventory:RestartGracePeriod", "00:00:00"));
}

public sealed class OfflineDetectionTests(FastTimeoutFixture fx) : IClassFixture<FastTimeoutFixture>
{
    [Fact]
    public async Task A_silent_worker_goes_offline_after_the_timeout_and_comes_back_with_its_heartbeats()
    {
        using var api = fx.Factory.As(Tenant.New().Token);
        var (id, token, _) = await api.EnrollAsync("silent");
        var (agent, _) = await TestAgent.JoinAsync(fx.Factory, token);
        await using var _ = agent;
        agent.StartHeartbeats(TimeSpan.FromMilliseconds(300));
        await Task.Delay(TimeSpan.FromSeconds(3)); // twice the timeout: heartbeats keep it active
        Assert.Equal("active", await api.StatusAsync(id));
        Assert.DoesNotContain(fx.Bus.Received<WorkerStatusChanged>(), e => e.Worker.WorkerId == id && e.NewStatus == "offline");

        agent.StopHeartbeats();
        var stopped = DateTimeOffset.UtcNow;
        var offline = await fx.Bus.WaitForAsync<WorkerStatusChanged>(e => e.Worker.WorkerId == id && e.NewStatus == "offline", TimeSpan.FromSeconds(10));
        Assert.Equal("active", offline.OldStatus);
        // Not before the 1.5 s timeout (the last heartbeat left at most 0.3 s before the stop); the upper bound allows a loaded machine.
        Assert.InRange(offline.OccurredAt - stopped, TimeSpan.FromSeconds(1.1), TimeSpan.FromSeconds(8));
        var w = await api.WorkerAsync(id);
        Assert.Equal("offline", (string)w["status"]!);
        Assert.False((bool)w["is_healthy"]!);

        await agent.HeartbeatAsync();
        var online = await fx.Bus.WaitForAsync<WorkerStatusChanged>(e => e.Worker.WorkerId == id && e.OldStatus == "offline", TimeSpan.FromSeconds(10));
        Assert.Equal("active", online.NewStatus);
        Assert.True(online.Worker.Version > offline.Worker.Version);
        Assert.Equal("active", await api.StatusAsync(id));
    }

    [Fact]
    public async Task A_draining_worker_that_goes_offline_comes_back_draining()
    {
        using var api = fx.Factory.As(Tenant.New().Token);
        var (id, token, _) = await api.EnrollAsync("drained-outage");
        var (agent, _) = await TestAgent.JoinAsync(fx.Factory, token);
        await using var _ = agent;
        await agent.HeartbeatAsync();
        await (await api.PostJsonAsync($"/api/v1/workers/{id}/drain", new { deadline_seconds = 600 })).JsonAsync();

        await fx.Bus.WaitForAsync<WorkerStatusChanged>(e => e.Worker.WorkerId == id && e.NewStatus == "offline", TimeSpan.FromSeconds(10));
        await agent.HeartbeatAsync();
        var back = await fx.Bus.WaitForAsync<WorkerStatusChanged>(e => e.Worker.WorkerId == id && e.OldStatus == "offline", TimeSpan.FromSeconds(10));
        Assert.Equal("draining", back.NewStatus);
        Assert.NotNull(back.Worker.DrainDeadline);
    }

    [Fact]
    public async Task Maintenance_workers_are_not_marked_offline()
    {
        using var api = fx.Factory.As(Tenant.New().Token);
        var (id, token, _) = await api.EnrollAsync("maintained");
        var (agent, _) = await TestAgent.JoinAsync(fx.Factory, token);
        await agent.HeartbeatAsync();
        await (await api.PostJsonAsync($"/api/v1/workers/{id}/maintenance", new { })).JsonAsync();
        await agent.DisposeAsync();
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Equal("maintenance", await api.StatusAsync(id));
    }
}

public sealed class ReplicaTests
{
    [Fact]
    public async Task With_two_replicas_a_silent_worker_goes_offline_exactly_once()
    {
        await using var a = await InventoryFactory.StartAsync("tworeplicas", InventoryFactory.Fast(
            ("Inventory:OfflineTimeout", "00:00:01"), ("Inventory:RestartGracePeriod", "00:00:00")));
        await using var b = await a.ReplicaAsync();
        await using var bus = await TestBus.StartAsync(a.Settings.MessagingConnectionString, typeof(WorkerStatusChanged));
        using var api = a.As(Tenant.New().Token);
        var (id, token, _) = await api.EnrollAsync("watched-twice");
        var (agent, _) = await TestAgent.JoinAsync(b, token); // connected to the replica that may not be the leader
        await agent.HeartbeatAsync();
        await agent.DisposeAsync();

        await bus.WaitForAsync<WorkerStatusChanged>(e => e.Worker.WorkerId == id && e.NewStatus == "offline", TimeSpan.FromSeconds(10));
        await Task.Delay(TimeSpan.FromSeconds(4)); // four more timeouts for a second detector to (wrongly) act
        Assert.Single(bus.Received<WorkerStatusChanged>(), e => e.Worker.WorkerId == id && e.NewStatus == "offline");
    }

    [Fact]
    public async Task After_a_restart_no_worker_is_marked_offline_during_the_grace_period()
    {
        var config = InventoryFactory.Fast(("Inventory:OfflineTimeout", "00:00:01"), ("Inventory:RestartGracePeriod", "00:00:06"));
        var first = await InventoryFactory.StartAsync("grace", config);
        using var api = first.As(Tenant.New().Token);
        var (id, token, _) = await api.EnrollAsync("rebooted-controller");
        var (agent, _) = await TestAgent.JoinAsync(first, token);
        await agent.HeartbeatAsync();
        await agent.DisposeAsync();
        await first.DisposeAsync(); // inventory restarts: the worker's last heartbeat is now stale

        await using var second = await first.ReplicaAsync();
        var started = DateTimeOffset.UtcNow;
        using var api2 = second.As(TestTokens.Admin());
        await Task.Delay(TimeSpan.FromSeconds(3)); // three timeouts, well inside the grace period
        Assert.Equal("active", await api2.StatusAsync(id));

        await Eventually.TrueAsync(async () => await api2.StatusAsync(id) == "offline", TimeSpan.FromSeconds(15), "offline once the grace period is over");
        Assert.True(DateTimeOffset.UtcNow - started >= TimeSpan.FromSeconds(5), "not before the grace period ended");
    }

    [Fact]
    public async Task During_the_grace_period_a_worker_that_came_back_and_fell_silent_again_goes_offline_after_the_timeout()
    {
        var config = InventoryFactory.Fast(("Inventory:OfflineTimeout", "00:00:01"), ("Inventory:RestartGracePeriod", "00:01:00"));
        var first = await InventoryFactory.StartAsync("graceseen", config);
        using var api = first.As(Tenant.New().Token);
        var (id, token, _) = await api.EnrollAsync("back-then-dead");
        var (agent, _) = await TestAgent.JoinAsync(first, token);
        await agent.HeartbeatAsync();
        await agent.DisposeAsync();
        await first.DisposeAsync();

        // The agent reconnects to the restarted inventory, then its machine dies: the grace is for agents not yet back.
        await using var second = await first.ReplicaAsync();
        var (back, _) = await TestAgent.JoinAsync(second, token);
        await back.HeartbeatAsync();
        await back.DisposeAsync();
        using var api2 = second.As(TestTokens.Admin());
        await Eventually.TrueAsync(async () => await api2.StatusAsync(id) == "offline", TimeSpan.FromSeconds(15), "offline after the timeout, long before the 60 s grace ends");
    }

    [Fact]
    public async Task When_the_detecting_replica_stops_the_other_takes_over()
    {
        var config = InventoryFactory.Fast(("Inventory:OfflineTimeout", "00:00:01"), ("Inventory:RestartGracePeriod", "00:00:00"));
        var a = await InventoryFactory.StartAsync("takeover", config);
        await using var b = await a.ReplicaAsync();
        var leader = await Eventually.GetAsync(() => Task.FromResult(Leader(a) ? a : Leader(b) ? b : null), l => l is not null, because: "one replica leads");
        var follower = ReferenceEquals(leader, a) ? b : a;
        Assert.False(Leader(follower));
        await leader!.DisposeAsync();

        await Eventually.TrueAsync(() => Task.FromResult(Leader(follower)), TimeSpan.FromSeconds(10), "the other replica takes the lock");
        using var api = follower.As(Tenant.New().Token);
        var (id, token, _) = await api.EnrollAsync("after-takeover");
        var (agent, _) = await TestAgent.JoinAsync(follower, token);
        await agent.HeartbeatAsync();
        await agent.DisposeAsync();
        await Eventually.TrueAsync(async () => await api.StatusAsync(id) == "offline", TimeSpan.FromSeconds(10), "the new leader detects");
        if (ReferenceEquals(follower, a)) await a.DisposeAsync();
    }

    private static bool Leader(InventoryFactory f) =>
        ((Health.DetectorLeadership)f.Services.GetService(typeof(Health.DetectorLeadership))!).IsLeader;
}
