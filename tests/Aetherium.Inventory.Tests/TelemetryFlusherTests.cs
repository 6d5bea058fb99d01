using Aetherium.Contracts;
using Aetherium.Contracts.Agent;
using Aetherium.Inventory.Persistence;
using Aetherium.Inventory.Telemetry;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit;

namespace Aetherium.Inventory.Tests;

/// <summary>Issue 22, "no record can block a batch": the flusher's second line of defence behind the edge checks.</summary>
public sealed class TelemetryFlusherTests
{
    [Fact]
    public async Task A_record_the_database_refuses_is_dropped_with_a_warning_and_the_rest_of_its_batch_is_written_in_the_same_pass()
    {
        // Batches only when the test says so: each FlushOnceAsync is one try.
        await using var f = await InventoryFactory.StartAsync("poison", InventoryFactory.Fast(("Inventory:FlushInterval", "01:00:00")));
        using var api = f.As(Tenant.New().Token);
        var poisoned = await api.CreateWorkerAsync("poisoned");
        var others = new[] { await api.CreateWorkerAsync("a"), await api.CreateWorkerAsync("b"), await api.CreateWorkerAsync("c") };
        var buffer = f.Services.GetRequiredService<TelemetryBuffer>();
        var flusher = f.Services.GetServices<IHostedService>().OfType<TelemetryFlusher>().Single();
        var now = DateTimeOffset.UtcNow;

        // Straight into the buffer, past the edge: PostgreSQL refuses a NUL in text (22021) and in jsonb (22P05).
        var badVm = Guid.NewGuid();
        buffer.AddVmStates(poisoned, [new VmActualState(badVm, "failed", "boom\u0000")], now);
        buffer.AddMetrics(new MetricsReport(poisoned, Metrics("x\u0000y"), now));
        for (var i = 0; i < others.Length; i++)
        {
            buffer.AddHeartbeat(others[i], new HeartbeatSample(10 + i, 20, 30, 100, 0, now));
            buffer.AddVmStates(others[i], [new VmActualState(Guid.NewGuid(), "running")], now);
            buffer.AddMetrics(new MetricsReport(others[i], Metrics("A100"), now));
        }

        // One try writes everything else.
        Assert.True(await flusher.FlushOnceAsync(CancellationToken.None), string.Join("\n", f.Logs.Lines.Where(l => l.Contains("Telemetry"))));
        for (var i = 0; i < others.Length; i++)
        {
            Assert.Equal(10.0 + i, (double)(await api.WorkerAsync(others[i]))["cpu_usage_percent"]!);
            Assert.Equal(1, await f.ObservedVmCountAsync(others[i]));
            Assert.Single((await (await api.GetAsync($"/api/v1/workers/{others[i]}/metrics")).JsonAsync())["samples"]!.AsArray());
        }
        // The poisoned records are gone, not waiting in front of the queue, each named in a warning.
        Assert.True(buffer.Take().IsEmpty);
        Assert.Equal(0, await f.ObservedVmCountAsync(poisoned));
        var lines = f.Logs.Lines.Where(l => l.StartsWith("Warning") && l.Contains("Dropped")).ToList();
        Assert.Contains(lines, l => l.Contains("VM state") && l.Contains(poisoned.ToString()) && l.Contains(badVm.ToString()) && l.Contains("22021"));
        Assert.True(lines.Any(l => l.Contains("metrics sample") && l.Contains(poisoned.ToString()) && l.Contains("22P05")), string.Join("\n", lines));
    }

    [Fact]
    public async Task A_batch_kept_from_the_database_by_an_outage_is_kept_for_the_next_try()
    {
        await using var f = await InventoryFactory.StartAsync("flushdown", InventoryFactory.Fast(("Inventory:FlushInterval", "01:00:00")));
        var pg = new Npgsql.NpgsqlConnectionStringBuilder(f.Settings.DatabaseConnectionString);
        await using var proxy = new Aetherium.Testing.ToggleProxy(pg.Port);
        pg.Port = proxy.Port;
        await using var replica = await f.ReplicaAsync(f.Settings with { DatabaseConnectionString = pg.ConnectionString });
        using var api = f.As(Tenant.New().Token);
        var worker = await api.CreateWorkerAsync("kept");
        var buffer = replica.Services.GetRequiredService<TelemetryBuffer>();
        var flusher = replica.Services.GetServices<IHostedService>().OfType<TelemetryFlusher>().Single();
        buffer.AddHeartbeat(worker, new HeartbeatSample(42, 1, 1, 1, 0, DateTimeOffset.UtcNow));

        proxy.Down();
        Assert.False(await flusher.FlushOnceAsync(CancellationToken.None));
        Assert.Equal(1, buffer.PendingHeartbeats);
        proxy.Up();
        Assert.True(await flusher.FlushOnceAsync(CancellationToken.None));
        Assert.Equal(42.0, (double)(await api.WorkerAsync(worker))["cpu_usage_percent"]!);
    }

    private static MetricsData Metrics(string gpuModel) => new(new UsageFigures(10), new UsageFigures(20), new UsageFigures(30), new NetworkFigures(1, 1),
        [new GpuInfo("GPU-0", gpuModel, 1024, 512, 10, 40)]);
}

public static class InventoryDb
{
    public static async Task<int> ObservedVmCountAsync(this InventoryFactory factory, Guid workerId)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<InventoryDbContext>();
        return await db.ObservedVms.CountAsync(o => o.WorkerId == workerId);
    }
}
