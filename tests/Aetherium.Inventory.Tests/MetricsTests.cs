using System.Net;
using Aetherium.Contracts;
using Aetherium.Contracts.Agent;
using Aetherium.Testing;
using Xunit;

namespace Aetherium.Inventory.Tests;

public sealed class SmallPagesFixture : InventoryFixture
{
    protected override Dictionary<string, string?> Config => InventoryFactory.Fast(("Inventory:MetricsMaxPoints", "3"));
}

public sealed class MetricsTests(SmallPagesFixture fx) : IClassFixture<SmallPagesFixture>
{
    private static MetricsData Sample(double cpu) => new(
        new UsageFigures(cpu, Cores: 16, LoadAverage: [1.5, 1.2, 1.0]),
        new UsageFigures(62.5, TotalMb: 32768, UsedMb: 20480),
        new UsageFigures(50, TotalMb: 512000, UsedMb: 256000),
        new NetworkFigures(1_000_000, 500_000),
        [new GpuInfo("GPU-0", "NVIDIA A100", 81920, 61440, 85, 72)]);

    [Fact]
    public async Task Metrics_samples_are_kept_and_served_by_time_range_in_pages()
    {
        using var api = fx.Factory.As(Tenant.New().Token);
        var (id, token, _) = await api.EnrollAsync("metered");
        var (agent, _) = await TestAgent.JoinAsync(fx.Factory, token);
        await using var _ = agent;

        var t0 = DateTimeOffset.UtcNow;
        var marks = new List<DateTimeOffset>();
        for (var i = 1; i <= 5; i++)
        {
            await agent.SendAsync(FrameTypes.TelemetryMetrics, Sample(10 * i));
            await Task.Delay(250); // distinct, ordered receive times
            marks.Add(DateTimeOffset.UtcNow);
        }
        string Iso(DateTimeOffset t) => Uri.EscapeDataString(t.ToString("O"));

        var all = await Eventually.GetAsync(
            async () => await (await api.GetAsync($"/api/v1/workers/{id}/metrics?from={Iso(t0)}&limit=100")).JsonAsync(),
            page => (bool)page["truncated"]! && page["samples"]!.AsArray().Count == 3, because: "the samples are written");
        // Capped at Inventory:MetricsMaxPoints = 3, oldest first, with where the next page starts.
        var first = all["samples"]!.AsArray();
        Assert.Equal([10.0, 20.0, 30.0], first.Select(s => (double)s!["cpu_usage_percent"]!));
        Assert.Equal(3, (int)all["total"]!);
        Assert.Equal(16, (int)first[0]!["cpu"]!["cores"]!);
        Assert.Equal(20480, (long)first[0]!["memory"]!["used_mb"]!);
        Assert.Equal(1_000_000, (long)first[0]!["network"]!["bytes_in"]!);
        Assert.Equal("NVIDIA A100", (string)first[0]!["gpus"]![0]!["model"]!);
        var next = DateTimeOffset.Parse((string)all["next_from"]!);
        var rest = await (await api.GetAsync($"/api/v1/workers/{id}/metrics?from={Iso(next)}")).JsonAsync();
        Assert.Equal([40.0, 50.0], rest["samples"]!.AsArray().Select(s => (double)s!["cpu_usage_percent"]!));
        Assert.False((bool)rest["truncated"]!);

        // from/to select a window: [from, to).
        var window = await (await api.GetAsync($"/api/v1/workers/{id}/metrics?from={Iso(marks[0])}&to={Iso(marks[2])}")).JsonAsync();
        Assert.Equal([20.0, 30.0], window["samples"]!.AsArray().Select(s => (double)s!["cpu_usage_percent"]!));
        var before = await (await api.GetAsync($"/api/v1/workers/{id}/metrics?from={Iso(t0.AddHours(-2))}&to={Iso(t0)}")).JsonAsync();
        Assert.Empty(before["samples"]!.AsArray());
        // Default: the last hour.
        Assert.Equal(3, (await (await api.GetAsync($"/api/v1/workers/{id}/metrics")).JsonAsync())["samples"]!.AsArray().Count);
    }

    [Fact]
    public async Task Bad_ranges_answer_400()
    {
        using var api = fx.Factory.As(Tenant.New().Token);
        var id = await api.CreateWorkerAsync("ranges");
        foreach (var q in new[] { "?from=yesterday", "?to=2025-13-45", "?from=2025-01-02T00:00:00Z&to=2025-01-01T00:00:00Z", "?limit=0" })
            await (await api.GetAsync($"/api/v1/workers/{id}/metrics{q}")).ProblemAsync(HttpStatusCode.BadRequest);
        await (await api.GetAsync($"/api/v1/workers/{Guid.NewGuid()}/metrics")).ProblemAsync(HttpStatusCode.NotFound);
    }
}

public sealed class MetricsRetentionTests
{
    [Fact]
    public async Task Samples_older_than_the_retention_are_removed()
    {
        await using var f = await InventoryFactory.StartAsync("retention", InventoryFactory.Fast(("Inventory:MetricsRetention", "00:00:03")));
        using var api = f.As(Tenant.New().Token);
        var (id, token, _) = await api.EnrollAsync("short-memory");
        var (agent, _) = await TestAgent.JoinAsync(f, token);
        await using var _ = agent;
        await agent.SendAsync(FrameTypes.TelemetryMetrics, new MetricsData(new UsageFigures(5), new UsageFigures(5), new UsageFigures(5), new NetworkFigures(0, 0), []));

        async Task<int> Count() => (await (await api.GetAsync($"/api/v1/workers/{id}/metrics")).JsonAsync())["samples"]!.AsArray().Count;
        await Eventually.TrueAsync(async () => await Count() == 1, because: "the sample is written");
        await Eventually.TrueAsync(async () => await Count() == 0, TimeSpan.FromSeconds(15), "the sample is pruned after 3 s");
    }
}
