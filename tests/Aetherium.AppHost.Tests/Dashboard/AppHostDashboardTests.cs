using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Aetherium.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Aetherium.AppHost.Tests.Dashboard;

/// <summary>The real AppHost, run as a user runs it: its dashboard, its login link, and every service's telemetry in it.</summary>
public sealed class AppHostDashboardTests(ITestOutputHelper output)
{
    [Fact]
    public async Task The_AppHost_prints_its_login_link_once_and_its_dashboard_shows_the_running_system_and_its_telemetry()
    {
        await using var apphost = new AppHostProcess();
        await apphost.StartAsync();
        await apphost.WaitForOutputAsync("all resources running", TimeSpan.FromMinutes(3));

        var line = Assert.Single(apphost.Output.Split('\n'), l => l.Contains("/login?t="));
        output.WriteLine(Regex.Replace(line, "t=[0-9a-f]+", "t=<token>"));
        var link = Regex.Match(line, @"http://localhost:(\d+)/login\?t=([0-9a-f]{32})");
        Assert.True(link.Success, line);
        Assert.Equal(apphost.DashboardPort, int.Parse(link.Groups[1].Value));
        Assert.Contains(apphost.Output.Split('\n'), l => l.Contains("telemetry: OTLP/gRPC http://localhost:"));

        using var http = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false })
        { BaseAddress = new Uri($"http://localhost:{apphost.DashboardPort}") };
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/api/resources")).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await http.GetAsync(link.Value)).StatusCode);
        async Task<JsonElement> Get(string path) => JsonDocument.Parse(await http.GetStringAsync(path)).RootElement.Clone();

        var resources = (await Get("/api/resources")).GetProperty("resources").EnumerateArray().ToList();
        string[] model = ["postgres", "identitydb", "inventorydb", "schedulerdb", "leasedb", "messaging",
            "identity", "inventory", "scheduler", "lease", "gateway", "fleet"];
        Assert.Equal(model.Order(), resources.Select(r => r.GetProperty("resource").GetString()).Order());
        Assert.All(resources, r => Assert.Equal("Running", r.GetProperty("state").GetString()));

        // Every project exports to the AppHost's receiver over OTLP/gRPC with the key the AppHost gave it.
        string[] projects = ["identity", "inventory", "scheduler", "lease", "gateway"];
        var telemetry = await Eventually.GetAsync(() => Get("/api/telemetry"),
            t => projects.All(p => t.GetProperty("services").EnumerateArray().Any(s => s.GetString() == p)), TimeSpan.FromSeconds(60),
            "every project's telemetry arrives");
        output.WriteLine($"services reporting: {string.Join(", ", telemetry.GetProperty("services").EnumerateArray())}");
        // Logs travel in their own batches (the SDK's exporter sends them every few seconds), so a project's first
        // spans or metrics may arrive before its first log records.
        foreach (var project in projects)
            await Eventually.GetAsync(() => Get($"/api/logs?resource={project}"), l => l.GetProperty("total").GetInt32() > 0,
                TimeSpan.FromSeconds(30), $"{project}'s logs arrive");

        // The private broker's management API is there: its queues (MassTransit's, once services consume) are read.
        Assert.True((await Get("/api/queues")).GetProperty("available").GetBoolean());

        // The token was printed once, and using it printed nothing more (no request log carries it).
        Assert.Single(Regex.Matches(apphost.Output, link.Groups[2].Value));
    }
}
