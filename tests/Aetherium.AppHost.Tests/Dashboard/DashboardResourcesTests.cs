using System.Net;
using System.Text.Json;
using Aetherium.AppHost.Dashboard;
using Aetherium.Hosting;
using Aetherium.Hosting.Orchestration;
using Aetherium.Testing;
using Xunit;

namespace Aetherium.AppHost.Tests.Dashboard;

/// <summary>The dashboard of a running subset of the model (identity and what it needs), on the run's shared servers.</summary>
public sealed class DashboardResourcesTests : IAsyncLifetime
{
    private DistributedApplication _app = null!;
    private AppHost.Dashboard.Dashboard _dashboard = null!;
    private DashboardClient _client = null!;

    public async Task InitializeAsync()
    {
        var builder = await TestApp.CreateBuilderAsync("dashboard-resources", disableDashboard: false);
        AetheriumModel.Define(builder);
        builder.KeepOnly([AetheriumModel.Identity]);
        _dashboard = builder.AddDashboard()!;
        _app = builder.Build();
        await _app.StartAsync();
        _client = await DashboardClient.SignedInAsync(_dashboard);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _app.DisposeAsync();
    }

    private async Task<JsonElement> ResourceAsync(string name) =>
        (await _client.GetJsonAsync("/api/resources")).GetProperty("resources").EnumerateArray().Single(r => r.GetProperty("name").GetString() == name);

    [Fact]
    public async Task Resources_show_state_health_endpoints_and_the_environment_with_secrets_masked()
    {
        var list = await _client.GetJsonAsync("/api/resources");
        Assert.Equal(["postgres", "messaging", "identitydb", "identity"],
            list.GetProperty("resources").EnumerateArray().Select(r => r.GetProperty("name").GetString()!).ToArray());
        Assert.All(list.GetProperty("resources").EnumerateArray(), r => Assert.Equal("Running", r.GetProperty("state").GetString()));

        var identity = await ResourceAsync("identity");
        Assert.Equal("Project", identity.GetProperty("type").GetString());
        Assert.Equal("Healthy", identity.GetProperty("health").GetString());
        Assert.Equal(0, identity.GetProperty("restarts").GetInt32());
        Assert.True(identity.GetProperty("started_at").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(-5));
        var endpoint = identity.GetProperty("endpoints").EnumerateArray().Single();
        Assert.Equal(_app.GetUrl("identity"), endpoint.GetProperty("url").GetString());
        Assert.True(endpoint.GetProperty("is_link").GetBoolean());

        var env = identity.GetProperty("environment").EnumerateArray().ToDictionary(e => e.GetProperty("name").GetString()!, e => e.GetProperty("value").GetString()!);
        Assert.Equal("identity", env["OTEL_SERVICE_NAME"]);
        Assert.Equal(_app.OtlpReceiver!.GrpcEndpoint, env["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        foreach (var secret in new[] { "OTEL_EXPORTER_OTLP_HEADERS", "ConnectionStrings__identitydb", "ConnectionStrings__messaging", "Admin__Password" })
            Assert.Equal("********", env[secret]);
        var raw = list.GetRawText();
        Assert.DoesNotContain(_app.OtlpReceiver.ApiKey, raw);
        Assert.DoesNotContain(_app.GetConnectionString("identitydb"), raw);
    }

    [Fact]
    public async Task The_stop_and_start_buttons_stop_and_start_the_resource()
    {
        using var stop = await _client.Http.PostAsync("/api/resources/identity/stop", null);
        Assert.Equal(HttpStatusCode.Accepted, stop.StatusCode);
        await Eventually.TrueAsync(async () => (await ResourceAsync("identity")).GetProperty("state").GetString() == ResourceStates.Exited,
            TimeSpan.FromSeconds(30), "identity stops");
        Assert.Null(_app.Instance("identity").ProcessId is int pid && !HasExited(pid) ? "still running" : null);

        using var start = await _client.Http.PostAsync("/api/resources/identity/start", null);
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        await Eventually.TrueAsync(async () => (await ResourceAsync("identity")).GetProperty("state").GetString() == ResourceStates.Running,
            TimeSpan.FromSeconds(60), "identity runs again");
        using var http = _app.CreateHttpClient("identity");
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health")).StatusCode);

        using var unknown = await _client.Http.PostAsync("/api/resources/nobody/stop", null);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        using var badAction = await _client.Http.PostAsync("/api/resources/identity/explode", null);
        Assert.Equal(HttpStatusCode.NotFound, badAction.StatusCode);
        Assert.Equal("Running", (await ResourceAsync("identity")).GetProperty("state").GetString());
    }

    [Fact]
    public async Task The_console_log_follows_live_and_searches()
    {
        // What identity printed so far, searchable.
        var page = await _client.GetJsonAsync("/api/console/identity?search=listening");
        Assert.Contains(page.GetProperty("lines").EnumerateArray(), l => l.GetProperty("text").GetString()!.Contains("Now listening on"));
        Assert.All(page.GetProperty("lines").EnumerateArray(), l => Assert.Contains("listening", l.GetProperty("text").GetString()!, StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain('\u001b', page.GetRawText().Replace("\\u001b", "\u001b")); // colours stripped

        // Follow: the stream carries the backlog, then lines printed after it opened (a restart's start-up).
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        using var stream = await _client.Http.GetAsync("/api/console/identity/stream?search=listening", HttpCompletionOption.ResponseHeadersRead, cts.Token);
        Assert.Equal("text/event-stream", stream.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await stream.Content.ReadAsStreamAsync(cts.Token));
        var backlog = await NextEventAsync(reader, cts.Token);
        Assert.Contains("Now listening on", backlog.GetProperty("text").GetString());

        var lastBefore = _app.Instance("identity").Logs.Snapshot().Last().Sequence;
        using var restart = await _client.Http.PostAsync("/api/resources/identity/restart", null);
        Assert.Equal(HttpStatusCode.Accepted, restart.StatusCode);
        JsonElement live;
        do live = await NextEventAsync(reader, cts.Token);
        while (live.GetProperty("sequence").GetInt64() <= lastBefore);
        Assert.Contains("Now listening on", live.GetProperty("text").GetString());
        await _app.Instance("identity").Healthy.WaitAsync(TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task The_service_s_own_telemetry_reaches_the_dashboard()
    {
        using var http = _app.CreateHttpClient("identity");
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/openapi/v1.json")).StatusCode);

        var traces = await Eventually.GetAsync(() => _client.GetJsonAsync("/api/traces?service=identity"),
            t => t.GetProperty("traces").EnumerateArray().Any(x => x.GetProperty("name").GetString()!.Contains("openapi")), TimeSpan.FromSeconds(30),
            "identity's request span arrives over OTLP");
        var trace = traces.GetProperty("traces").EnumerateArray().First(x => x.GetProperty("name").GetString()!.Contains("openapi"));
        Assert.Equal(["identity"], trace.GetProperty("services").EnumerateArray().Select(s => s.GetString()!).ToArray());

        await Eventually.TrueAsync(async () => (await _client.GetJsonAsync("/api/logs?resource=identity")).GetProperty("total").GetInt32() > 0,
            TimeSpan.FromSeconds(30), "identity's logs arrive over OTLP");
        var instruments = await Eventually.GetAsync(() => _client.GetJsonAsync("/api/metrics?service=identity"),
            m => m.GetProperty("instruments").EnumerateArray().Any(i => i.GetProperty("name").GetString() == "http.server.request.duration"),
            TimeSpan.FromSeconds(30), "identity's request duration histogram arrives over OTLP");
        Assert.Contains(instruments.GetProperty("instruments").EnumerateArray(), i => i.GetProperty("name").GetString()!.StartsWith("dotnet."));
    }

    private static bool HasExited(int pid)
    {
        try { return System.Diagnostics.Process.GetProcessById(pid).HasExited; }
        catch (ArgumentException) { return true; }
    }

    private static async Task<JsonElement> NextEventAsync(StreamReader reader, CancellationToken ct)
    {
        while (await reader.ReadLineAsync(ct) is { } line)
            if (line.StartsWith("data: ")) return JsonDocument.Parse(line["data: ".Length..]).RootElement.Clone();
        throw new EndOfStreamException("the event stream closed");
    }
}
