using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Aetherium.Hosting;
using Aetherium.Hosting.Orchestration;
using Aetherium.Testing;
using Npgsql;
using Xunit;
using Xunit.Abstractions;

namespace Aetherium.AppHost.Tests;

/// <summary>The app model started from a test, a subset of it, on the run's shared PostgreSQL and RabbitMQ.</summary>
public sealed class TestingBuilderTests(ITestOutputHelper output)
{
    private static async Task<DistributedApplication> StartIdentityAsync()
    {
        var builder = await TestApp.CreateBuilderAsync("apphost-subset");
        AetheriumModel.Define(builder);
        builder.KeepOnly([AetheriumModel.Identity]);
        var app = builder.Build();
        await app.StartAsync();
        return app;
    }

    [Fact]
    public async Task A_subset_starts_with_only_what_it_needs_and_is_healthy()
    {
        await using var app = await StartIdentityAsync();

        Assert.Equal(["postgres", "messaging", "identitydb", "identity"], app.Instances.Select(i => i.Name).ToArray());
        Assert.All(app.Instances, i => Assert.Equal(ResourceStates.Running, i.State));

        using var http = app.CreateHttpClient(AetheriumModel.Identity);
        using var health = await http.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        var checks = JsonDocument.Parse(await health.Content.ReadAsStringAsync()).RootElement.GetProperty("checks");
        Assert.Equal("Healthy", checks.GetProperty("identitydb").GetProperty("status").GetString());
        Assert.Equal("Healthy", checks.GetProperty("masstransit-bus").GetProperty("status").GetString());

        // Its database was created on the shared server, under this run's own name.
        var cs = new NpgsqlConnectionStringBuilder(app.GetConnectionString("identitydb"));
        Assert.StartsWith("identitydb_", cs.Database);
        await using var db = new NpgsqlConnection(cs.ConnectionString);
        await db.OpenAsync();
    }

    [Fact]
    public async Task Stopping_the_app_leaves_no_process_behind()
    {
        var app = await StartIdentityAsync();
        Assert.NotEmpty(ProcessScan.WithEnvironment(DistributedApplication.RunIdVariable, app.RunId));
        await app.DisposeAsync();
        Assert.Empty(ProcessScan.WithEnvironment(DistributedApplication.RunIdVariable, app.RunId));
    }

    [Fact]
    public async Task A_killed_service_is_restarted_and_healthy_again_within_10_seconds()
    {
        await using var app = await StartIdentityAsync();
        var identity = app.Instance(AetheriumModel.Identity);
        var pid = identity.ProcessId;

        var clock = Stopwatch.StartNew();
        app.Kill(AetheriumModel.Identity); // kill -9, as an outsider would
        await Eventually.TrueAsync(() => Task.FromResult(identity.State != ResourceStates.Running), TimeSpan.FromSeconds(5), "the AppHost notices the crash");
        await identity.Healthy.WaitAsync(TimeSpan.FromSeconds(30));
        clock.Stop();
        output.WriteLine($"kill -9 to healthy again: {clock.Elapsed.TotalSeconds:0.0} s");

        Assert.NotEqual(pid, identity.ProcessId);
        Assert.Equal(1, identity.Restarts);
        using var http = app.CreateHttpClient(AetheriumModel.Identity);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health")).StatusCode);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"restarted in {clock.Elapsed.TotalSeconds:0.0} s");
    }
}
