using System.Net.Http.Headers;
using System.Net.Http.Json;
using Aetherium.AppHost.Dashboard;
using Aetherium.Hosting;
using Aetherium.Testing;
using Microsoft.Playwright;
using Xunit;
using Xunit.Abstractions;

namespace Aetherium.AppHost.Tests.Dashboard;

/// <summary>
/// The whole system started through the testing builder, its dashboard opened in headless Chromium (Debian's
/// <c>chromium</c>, driven by Playwright without a browser download): every resource Running, the trace that spans
/// the most services opened as a waterfall, screenshots kept under TestResults/dashboard/.
/// </summary>
public sealed class BrowserTests(ITestOutputHelper output)
{
    public const string Chromium = "/usr/bin/chromium";
    private const string AdminPassword = "browser-test-admin-password";

    public static string ArtifactDirectory
    {
        get
        {
            var dir = Environment.GetEnvironmentVariable("AETHERIUM_TEST_ARTIFACTS") is { Length: > 0 } configured
                ? configured
                : Path.Combine(AppHostProcess.RepositoryRoot, "TestResults", "dashboard");
            Directory.CreateDirectory(dir);
            return dir;
        }
    }

    [Fact]
    public async Task The_dashboard_of_the_running_system_shows_every_resource_Running_and_opens_the_widest_trace()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: scripts/prereqs.sh installs Debian's chromium package (apt-get install -y chromium).");
        var builder = await TestApp.CreateBuilderAsync("dashboard-browser",
            new Dictionary<string, string?> { ["Parameters:admin-password"] = AdminPassword }, disableDashboard: false);
        AetheriumModel.Define(builder);
        var dashboard = builder.AddDashboard()!;
        await using var app = builder.Build();
        await app.StartAsync();

        await UseTheSystemAsync(app);
        // A request's spans arrive within the services' 1 s export delay; events may cross the bus after it.
        var widest = await WidestTraceAsync(dashboard);

        using var playwright = await Playwright.CreateAsync();
        var profile = Directory.CreateTempSubdirectory("aetherium-chromium-");
        IBrowserContext? browser = null;
        IPage? browserPage = null;
        try
        {
            browser = await playwright.Chromium.LaunchPersistentContextAsync(profile.FullName, new BrowserTypeLaunchPersistentContextOptions
            {
                ExecutablePath = Chromium,
                Headless = true,
                // The machine has no network but loopback: no background fetches, no GPU, no sandbox as root.
                Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
                ViewportSize = new ViewportSize { Width = 1440, Height = 900 },
            });
            var page = browserPage = browser.Pages.Count > 0 ? browser.Pages[0] : await browser.NewPageAsync();
            page.SetDefaultTimeout(30_000);
            var failures = new List<string>();
            page.PageError += (_, e) => failures.Add(e);

            await page.GotoAsync(dashboard.LoginUrl);
            await page.WaitForURLAsync($"{dashboard.Url}/");
            await page.Locator("tr[data-resource]").First.WaitForAsync();
            foreach (var instance in app.Instances)
                await Assertions.Expect(page.Locator($"tr[data-resource='{instance.Name}'] .state"))
                    .ToHaveAttributeAsync("data-state", "Running", new() { Timeout = 30_000 });
            Assert.Equal(app.Instances.Count, await page.Locator("tr[data-resource]").CountAsync());
            await page.ScreenshotAsync(new() { Path = Path.Combine(ArtifactDirectory, "resources.png"), FullPage = true });

            // The user's requests come in through the gateway: the list filtered to it shows them among the services' own background work.
            await page.GetByRole(AriaRole.Navigation).GetByRole(AriaRole.Link, new() { Name = "Traces", Exact = true }).ClickAsync();
            await page.GetByLabel("Service").SelectOptionAsync(AetheriumModel.Gateway);
            var row = page.Locator($"tr[data-trace-id='{widest.TraceId}']");
            await row.WaitForAsync();
            await row.GetByRole(AriaRole.Link).ClickAsync();
            await page.Locator(".waterfall > li").First.WaitForAsync();
            var services = (await page.Locator(".waterfall > li").EvaluateAllAsync<string[]>("items => items.map(li => li.dataset.service)")).Distinct().ToList();
            var spanRows = await page.Locator(".waterfall > li").CountAsync();
            await page.Locator(".waterfall li button").First.ClickAsync(); // a span's attributes open under it
            await Assertions.Expect(page.Locator(".waterfall .detail").First).ToBeVisibleAsync();
            await page.ScreenshotAsync(new() { Path = Path.Combine(ArtifactDirectory, "trace.png"), FullPage = true });

            // The other pages render what the services sent, without a script error.
            await page.GetByRole(AriaRole.Navigation).GetByRole(AriaRole.Link, new() { Name = "Structured logs", Exact = true }).ClickAsync();
            await page.Locator("tr[data-sequence]").First.WaitForAsync();
            await page.ScreenshotAsync(new() { Path = Path.Combine(ArtifactDirectory, "logs.png") });
            await page.GetByRole(AriaRole.Navigation).GetByRole(AriaRole.Link, new() { Name = "Metrics", Exact = true }).ClickAsync();
            await page.GetByLabel("Service").SelectOptionAsync(AetheriumModel.Gateway);
            await page.Locator("figure.chart svg").First.WaitForAsync();
            await page.ScreenshotAsync(new() { Path = Path.Combine(ArtifactDirectory, "metrics.png"), FullPage = true });
            await page.GotoAsync($"{dashboard.Url}/#/console/{AetheriumModel.Gateway}");
            await Assertions.Expect(page.Locator("pre.console")).ToContainTextAsync("Now listening on");
            await page.ScreenshotAsync(new() { Path = Path.Combine(ArtifactDirectory, "console.png") });

            output.WriteLine($"widest trace {widest.TraceId}: {widest.Name}, {widest.Spans} spans across {string.Join(" -> ", services)}; screenshots in {ArtifactDirectory}");
            Assert.Equal(widest.Services, services.Count);
            Assert.Equal(widest.Spans, spanRows);
            Assert.True(services.Count >= 3, $"the waterfall shows {services.Count} services");
            Assert.Empty(failures);
        }
        catch when (browserPage is not null)
        {
            await browserPage.ScreenshotAsync(new() { Path = Path.Combine(ArtifactDirectory, "failure.png"), FullPage = true });
            throw;
        }
        finally
        {
            if (browser is not null) await browser.DisposeAsync();
            profile.Delete(recursive: true);
        }
    }

    /// <summary>What a user does first, all through the gateway: sign up, sign in as the admin, look at workers, create one.</summary>
    private static async Task UseTheSystemAsync(DistributedApplication app)
    {
        using var gateway = app.CreateHttpClient(AetheriumModel.Gateway);
        async Task<string?> Send(HttpMethod method, string path, object? body = null, string? token = null)
        {
            using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
            if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await gateway.SendAsync(request);
            return response.IsSuccessStatusCode ? await response.Content.ReadAsStringAsync() : null;
        }
        await Send(HttpMethod.Post, "/api/v1/auth/signup", new { username = "browser-user", password = "Browser-user-password-1", email = "browser@example.com" });
        var login = await Send(HttpMethod.Post, "/api/v1/auth/login", new { username = "admin", password = AdminPassword });
        var token = login is null ? null : System.Text.Json.JsonDocument.Parse(login).RootElement.TryGetProperty("access_token", out var t) ? t.GetString() : null;
        await Send(HttpMethod.Get, "/api/v1/users/me", token: token);
        await Send(HttpMethod.Get, "/api/v1/workers", token: token);
        await Send(HttpMethod.Post, "/api/v1/workers", new { name = "browser-worker", zone = "zone-a" }, token);
        // A rent crosses three services in one trace: gateway -> lease -> (CreateVm over the bus) scheduler.
        var user = await Send(HttpMethod.Post, "/api/v1/auth/login", new { username = "browser-user", password = "Browser-user-password-1" });
        var userToken = user is null ? null : System.Text.Json.JsonDocument.Parse(user).RootElement.GetProperty("access_token").GetString();
        await Send(HttpMethod.Post, "/api/v1/leases", new { duration_hours = 1, count = 1, spec = new { cpu_cores = 1, memory_mb = 512 } }, userToken);
    }

    private sealed record Widest(string TraceId, string Name, int Services, int Spans);

    /// <summary>Of the traces of the user's requests (through the gateway), the one with the most services, which must cross three services.</summary>
    private static async Task<Widest> WidestTraceAsync(AppHost.Dashboard.Dashboard dashboard)
    {
        using var client = await DashboardClient.SignedInAsync(dashboard);
        async Task<Widest?> Probe()
        {
            var traces = (await client.GetJsonAsync($"/api/traces?service={AetheriumModel.Gateway}&limit=1000")).GetProperty("traces").EnumerateArray()
                .Select(t => new Widest(t.GetProperty("trace_id").GetString()!, t.GetProperty("name").GetString()!, t.GetProperty("services").GetArrayLength(), t.GetProperty("span_count").GetInt32()))
                .ToList();
            return traces.OrderByDescending(t => t.Services).ThenByDescending(t => t.Spans).FirstOrDefault();
        }
        return (await Eventually.GetAsync(Probe, t => t is { Services: >= 3 }, TimeSpan.FromSeconds(45),
            "a trace of a request through the gateway across three services reaches the dashboard"))!;
    }
}
