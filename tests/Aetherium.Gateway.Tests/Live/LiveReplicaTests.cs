using System.Diagnostics;
using System.Net.Http.Json;
using Aetherium.AppHost;
using Aetherium.Hosting;
using Aetherium.Hosting.ApplicationModel;
using Aetherium.Hosting.Infrastructure;
using Aetherium.Hosting.Orchestration;
using Aetherium.Testing;
using Aetherium.Testing.System;
using Xunit;

namespace Aetherium.Gateway.Tests.Live;

/// <summary>
/// A second gateway process beside the fixture's, with the same configuration on a port of its own: as a
/// second replica would run. Each must see every event: the live queues are per instance, not competing.
/// </summary>
[Collection(GatewayCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class LiveReplicaTests(GatewayFixture system)
{
    [Fact]
    public async Task Every_gateway_instance_streams_every_event_and_one_that_stops_ends_its_streams()
    {
        await using var second = await SecondGateway.StartAsync(system.App);
        var tenant = await Api.NewTenantAsync(system.Gateway());
        await using var onFirst = await SseStream.OpenAsync(new Uri(system.App.GetUrl(AetheriumModel.Gateway)), tenant.AccessToken);
        await using var onSecond = await HubStream.OpenAsync(second.Url, tenant.AccessToken);
        Assert.Equal("snapshot", (await onFirst.NextAsync(TimeSpan.FromSeconds(15))).Type);
        Assert.Equal("snapshot", (await onSecond.NextAsync(TimeSpan.FromSeconds(15))).Type);

        for (var i = 0; i < 3; i++)
        {
            var id = (await Api.ReadAsync(await system.Gateway(tenant.AccessToken).PostAsJsonAsync("/api/v1/workers", new { name = $"replica-{i}" }), 201))["id"]!.GetValue<string>();
            foreach (var live in new LiveStream[] { onFirst, onSecond })
                await live.WaitForAsync("worker.created", d => d["worker"]!["worker_id"]!.GetValue<string>() == id, $"worker {i} on both gateways");
        }

        await second.StopAsync();
        Assert.True(await onSecond.EndsWithinAsync(TimeSpan.FromSeconds(30)), "the stopped gateway's stream ends, so its client reconnects elsewhere");
        var last = (await Api.ReadAsync(await system.Gateway(tenant.AccessToken).PostAsJsonAsync("/api/v1/workers", new { name = "after" }), 201))["id"]!.GetValue<string>();
        await onFirst.WaitForAsync("worker.created", d => d["worker"]!["worker_id"]!.GetValue<string>() == last, "the first gateway streams on");
    }

    /// <summary>The gateway's build output run as the AppHost runs it, with the fixture gateway's environment but its own HTTP port and no HTTPS.</summary>
    private sealed class SecondGateway : IAsyncDisposable
    {
        private readonly Process _process;

        private SecondGateway(Process process, Uri url) => (_process, Url) = (process, url);

        public Uri Url { get; }

        public static async Task<SecondGateway> StartAsync(DistributedApplication app)
        {
            var project = (ProjectResource)app.Builder.Find(AetheriumModel.Gateway)!;
            var url = $"http://localhost:{Ports.Free()}";
            var env = EnvironmentResolver.Resolve(app.EnvironmentOf(AetheriumModel.Gateway));
            env["ASPNETCORE_URLS"] = url;
            env["Kestrel__Endpoints__Http__Url"] = url;
            foreach (var key in env.Keys.Where(k => k.StartsWith("Kestrel__Endpoints__Https__", StringComparison.Ordinal)).ToList()) env[key] = null;
            env["OTEL_RESOURCE_ATTRIBUTES"] = "service.instance.id=gateway-second";
            env[DistributedApplication.RunIdVariable] = app.RunId;
            var output = new List<string>();
            var process = await ChildProcess.StartAsync("dotnet", [project.AssemblyPath(app.Builder.RepositoryRoot, DistributedApplicationBuilder.BuildConfiguration)],
                workingDirectory: Path.GetDirectoryName(Path.Combine(app.Builder.RepositoryRoot, project.ProjectPath)),
                environment: env, onOutput: l => { lock (output) output.Add(l); });
            var gateway = new SecondGateway(process, new Uri(url));
            using var http = new HttpClient { BaseAddress = gateway.Url, Timeout = TimeSpan.FromSeconds(5) };
            await Eventually.TrueAsync(async () =>
            {
                if (process.HasExited) lock (output) throw new InvalidOperationException($"the second gateway exited: {string.Join('\n', output)}");
                try { return (await http.GetAsync("/health")).IsSuccessStatusCode; }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException) { return false; }
            }, TimeSpan.FromSeconds(60), "the second gateway is healthy (its bus connected)");
            return gateway;
        }

        public Task StopAsync() => ChildProcess.StopAsync(_process, ChildProcess.SIGTERM, TimeSpan.FromSeconds(15));

        public async ValueTask DisposeAsync()
        {
            await StopAsync();
            _process.Dispose();
        }
    }
}
