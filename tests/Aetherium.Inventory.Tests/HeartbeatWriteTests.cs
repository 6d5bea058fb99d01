using Aetherium.Testing;
using Xunit;

namespace Aetherium.Inventory.Tests;

public sealed class HeartbeatWriteTests
{
    [Fact]
    public async Task The_last_heartbeat_of_a_worker_is_written_on_shutdown()
    {
        // Batches only every hour: what reaches the database can only come from the shutdown flush.
        var first = await InventoryFactory.StartAsync("lastwrite", InventoryFactory.Fast(("Inventory:FlushInterval", "01:00:00")));
        using var api = first.As(Tenant.New().Token);
        var (id, token, _) = await api.EnrollAsync("last-words");
        var (agent, _) = await TestAgent.JoinAsync(first, token);
        for (var i = 1; i <= 20; i++) await agent.HeartbeatAsync(cpu: i);
        await agent.HeartbeatAsync(cpu: 88.5, memory: 11);
        using var admin = first.As(TestTokens.Admin());
        await Eventually.TrueAsync(async () => (long)(await (await admin.GetAsync("/api/v1/system/stats")).JsonAsync())["replica"]!["heartbeats_received"]! >= 21);
        Assert.Equal(0.0, (double)(await api.WorkerAsync(id))["cpu_usage_percent"]!); // held in memory, not written yet
        await agent.DisposeAsync();
        await first.DisposeAsync();

        await using var second = await first.ReplicaAsync();
        using var api2 = second.As(TestTokens.Admin());
        var w = await api2.WorkerAsync(id);
        Assert.Equal(88.5, (double)w["cpu_usage_percent"]!);
        Assert.Equal(11.0, (double)w["memory_usage_percent"]!);
    }
}
