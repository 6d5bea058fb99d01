using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Aetherium.AppHost;
using Aetherium.Hosting;
using Aetherium.Identity.Tests;
using Aetherium.Testing;
using Aetherium.Testing.System;
using Microsoft.Playwright;
using Xunit;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Aetherium.Portal.Tests;

/// <summary>
/// The portal in headless Chromium against the running system, as its three kinds of users use it: a tenant rents
/// VMs, a machine owner enrols a machine with the command the portal shows, an admin watches the cluster. What
/// changes on the system shows up on the open page through the live stream, without a reload.
/// </summary>
[Collection(PortalCollection.Name)]
public sealed partial class PortalTests(PortalFixture system, ITestOutputHelper output)
{
    private const string Password = "portal-test-password";
    private static readonly TimeSpan Live = TimeSpan.FromSeconds(90);
    private const float LiveMs = 90_000;

    private static string NewName(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..20];

    /// <summary>A value set in the page's JavaScript: still there later means the page was never reloaded.</summary>
    private static async Task<string> MarkPageAsync(IPage page)
    {
        var mark = Guid.NewGuid().ToString("N");
        await page.EvaluateAsync("mark => { window.__portalTestMark = mark; }", mark);
        return mark;
    }

    private static async Task AssertNotReloadedAsync(IPage page, string mark) =>
        Assert.Equal(mark, await page.EvaluateAsync<string?>("() => window.__portalTestMark ?? null"));

    private static async Task SignUpAsync(IPage page, string username)
    {
        await page.GotoAsync("/");
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/signin$"));
        await page.GetByRole(AriaRole.Link, new() { Name = "Create an account" }).ClickAsync();
        await page.GetByLabel("Username", new() { Exact = true }).FillAsync(username);
        await page.GetByLabel("Password", new() { Exact = true }).FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Create account" }).ClickAsync();
    }

    /// <summary>The header says the live stream is connected (its snapshot arrived).</summary>
    private static Task ExpectLiveAsync(IPage page) =>
        Expect(page.Locator("[data-live]")).ToHaveAttributeAsync("data-live", "live", new() { Timeout = 30_000 });

    [Fact]
    public async Task A_tenant_signs_up_rents_a_VM_sees_it_running_without_reloading_extends_and_releases_it()
    {
        await using var browser = await PortalBrowser.OpenAsync(system.Url, "tenant", output);
        await browser.RunAsync(async page =>
        {
            var username = NewName("tenant");
            await SignUpAsync(page, username);
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Leases", Level = 1 })).ToBeVisibleAsync();
            await Expect(page.Locator("header .who")).ToHaveTextAsync(username);
            await ExpectLiveAsync(page);
            var mark = await MarkPageAsync(page);

            await page.GetByLabel("Number of VMs").FillAsync("1");
            await page.GetByLabel("CPU cores each").FillAsync("1");
            await page.GetByLabel("Memory each (MiB)").FillAsync("256");
            await page.GetByLabel("Disk each (GB)").FillAsync("1");
            await page.GetByLabel("Duration (hours)").FillAsync("1");
            await Expect(page.Locator(".estimate strong")).Not.ToHaveTextAsync("—");
            await page.GetByRole(AriaRole.Button, new() { Name = "Rent", Exact = true }).ClickAsync();

            var lease = page.Locator("article.lease").First;
            await Expect(lease).ToHaveAttributeAsync("data-status", "active");
            var leaseId = (await lease.GetAttributeAsync("data-lease-id"))!;
            var vm = lease.Locator("tbody tr").First;
            await Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "rented until" })).ToBeVisibleAsync();
            await browser.ScreenshotAsync("rented");

            // Placed on a fleet worker, started by its agent: the state arrives over the live stream.
            await Expect(vm.Locator(".status")).ToHaveAttributeAsync("data-status", "running", new() { Timeout = LiveMs });
            await Expect(vm.Locator("td code")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@":\d+$"));
            await AssertNotReloadedAsync(page, mark);
            await browser.ScreenshotAsync("running");

            // The API agrees with the page.
            var http = system.Gateway(await Api.LoginAsync(system.Gateway(), username, Password));
            var vms = await Api.ReadAsync(await http.GetAsync($"/api/v1/vms?lease_id={leaseId}"), 200);
            Assert.Equal("running", vms["vms"]![0]!["status"]!.GetValue<string>());

            // Extend by an hour: the end moves by an hour and the cost doubles, on the page.
            var until = DateTimeOffset.Parse((await lease.Locator("[data-field=leased_until]").GetAttributeAsync("data-value"))!);
            var cost = decimal.Parse((await lease.Locator("[data-field=cost]").GetAttributeAsync("data-value"))!, System.Globalization.CultureInfo.InvariantCulture);
            await lease.GetByLabel("Extend by (hours)").FillAsync("1");
            await lease.GetByRole(AriaRole.Button, new() { Name = "Extend" }).ClickAsync();
            await Expect(lease.Locator("[data-field=leased_until]")).Not.ToHaveAttributeAsync("data-value", until.ToString("O"));
            await Eventually.TrueAsync(async () =>
                DateTimeOffset.Parse((await lease.Locator("[data-field=leased_until]").GetAttributeAsync("data-value"))!) == until.AddHours(1),
                TimeSpan.FromSeconds(10), "the page shows the new end");
            await Eventually.TrueAsync(async () =>
                decimal.Parse((await lease.Locator("[data-field=cost]").GetAttributeAsync("data-value"))!, System.Globalization.CultureInfo.InvariantCulture) == cost * 2,
                TimeSpan.FromSeconds(10), "the page shows the cost of two hours");

            // Release: the lease ends and its VM is deleted, as the events arrive.
            await lease.GetByRole(AriaRole.Button, new() { Name = "Release…" }).ClickAsync();
            await lease.GetByRole(AriaRole.Button, new() { Name = "Yes, release" }).ClickAsync();
            await Expect(lease).ToHaveAttributeAsync("data-status", "released");
            await Expect(vm.Locator(".status")).ToHaveAttributeAsync("data-status", "deleted", new() { Timeout = LiveMs });
            await AssertNotReloadedAsync(page, mark);
            await browser.ScreenshotAsync("released");
        });
    }

    [Fact]
    public async Task An_owner_creates_a_worker_and_sees_it_turn_active_live_when_the_shown_command_runs_then_drains_and_activates_it()
    {
        await using var browser = await PortalBrowser.OpenAsync(system.Url, "owner", output);
        await browser.GrantClipboardAsync(system.Url);
        await using var machine = new AgentShell();
        await browser.RunAsync(async page =>
        {
            await SignUpAsync(page, NewName("owner"));
            await page.GetByRole(AriaRole.Navigation).GetByRole(AriaRole.Link, new() { Name = "Workers" }).ClickAsync();
            var name = NewName("portal-box");
            await page.GetByLabel("Name").FillAsync(name);
            await page.GetByLabel("Zone (optional)").FillAsync("portal-zone");
            await page.GetByRole(AriaRole.Button, new() { Name = "Create worker" }).ClickAsync();

            var title = page.GetByRole(AriaRole.Heading, new() { Level = 1 });
            await Expect(title).ToContainTextAsync(name);
            await Expect(title.Locator(".status")).ToHaveAttributeAsync("data-status", "pending");
            await ExpectLiveAsync(page);
            var mark = await MarkPageAsync(page);

            await page.GetByRole(AriaRole.Button, new() { Name = "Mint a token and show the install command" }).ClickAsync();
            var shown = await page.Locator("code[data-command=run]").InnerTextAsync();
            await page.GetByRole(AriaRole.Button, new() { Name = "Copy run command" }).ClickAsync();
            await Expect(page.GetByText("Copied to the clipboard.")).ToBeVisibleAsync();
            var copied = await page.EvaluateAsync<string>("() => navigator.clipboard.readText()");
            Assert.Equal(shown, copied);
            Assert.Contains(system.Url, copied);
            Assert.Contains("install --controller", await page.Locator("code[data-command=install]").TextContentAsync());
            await browser.ScreenshotAsync("command");

            // The owner pastes it into a shell on the machine: it downloads the agent from the controller and runs it.
            await machine.StartAsync(copied);
            await Expect(title.Locator(".status")).ToHaveAttributeAsync("data-status", "active", new() { Timeout = LiveMs });
            await AssertNotReloadedAsync(page, mark);
            output.WriteLine(machine.Output);
            Assert.False(machine.HasExited, machine.Output);
            await Expect(page.Locator("dl.facts")).ToContainTextAsync(Environment.MachineName);

            // Its metrics history, as a chart, once the agent sent samples.
            await Expect(page.Locator("figure.chart svg polyline.cpu")).ToBeVisibleAsync(new() { Timeout = 40_000 });
            Assert.True(int.Parse((await page.Locator("figure.chart").GetAttributeAsync("data-samples"))!) >= 2);
            await browser.ScreenshotAsync("active");

            await page.GetByRole(AriaRole.Button, new() { Name = "Drain" }).ClickAsync();
            await Expect(title.Locator(".status")).ToHaveAttributeAsync("data-status", "draining");
            await page.GetByRole(AriaRole.Button, new() { Name = "Activate" }).ClickAsync();
            await Expect(title.Locator(".status")).ToHaveAttributeAsync("data-status", "active");
            await AssertNotReloadedAsync(page, mark);
            await browser.ScreenshotAsync("activated");
            Assert.DoesNotContain(copied.Split('\'')[1].Replace("Authorization: Bearer ", ""), machine.Output); // the agent never prints its token
        });
    }

    [Fact]
    public async Task An_admin_sees_the_cluster_view_and_a_worker_going_offline_without_reloading()
    {
        // A machine of some owner, enrolled with the real agent through the API, in a zone of its own.
        var owner = await Api.NewTenantAsync(system.Gateway(), "zone-owner");
        var http = system.Gateway(owner.AccessToken);
        var name = NewName("offline-box");
        var worker = await Api.ReadAsync(await http.PostAsJsonAsync("/api/v1/workers", new { name, zone = "portal-offline" }), 201);
        var workerId = worker["id"]!.GetValue<string>();
        var token = (await Api.ReadAsync(await http.PostAsJsonAsync($"/api/v1/workers/{workerId}/token", new { }), 200))["token"]!.GetValue<string>();
        await using var machine = new AgentShell();
        var dll = Path.Combine(system.App.Builder.RepositoryRoot, "agent", "bin", DistributedApplicationBuilder.BuildConfiguration, "net10.0", "aetherium-agent.dll");
        await machine.StartAsync($"exec dotnet '{dll}' run --controller '{system.Url}'", new Dictionary<string, string?> { ["AETHERIUM_TOKEN"] = token });
        await Eventually.TrueAsync(async () => (await Api.ReadAsync(await http.GetAsync($"/api/v1/workers/{workerId}"), 200))["status"]!.GetValue<string>() == "active",
            Live, "the worker turns active once its agent registered");

        await using var browser = await PortalBrowser.OpenAsync(system.Url, "admin", output);
        await browser.RunAsync(async page =>
        {
            await page.GotoAsync("/signin");
            await page.GetByLabel("Username", new() { Exact = true }).FillAsync("admin");
            await page.GetByLabel("Password", new() { Exact = true }).FillAsync(SystemFixture.AdminPassword);
            await page.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true }).ClickAsync();
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Cluster", Level = 1 })).ToBeVisibleAsync();
            await ExpectLiveAsync(page);
            var mark = await MarkPageAsync(page);

            // The figures are the API's: compared with what /cluster/stats answers the admin.
            var admin = system.Gateway(await Api.AdminTokenAsync(system.Gateway()));
            var stats = await Api.ReadAsync(await admin.GetAsync("/api/v1/cluster/stats"), 200);
            await Expect(page.Locator("dl.stats")).ToHaveAttributeAsync("data-total-workers", stats["total_workers"]!.ToString());
            var fleet = page.Locator($"article.zone[data-zone='{PortalFixture.FleetZone}']");
            await Expect(fleet.Locator("tbody tr")).ToHaveCountAsync(PortalFixture.FleetSize);
            var zone = page.Locator("article.zone[data-zone='portal-offline']");
            await Expect(zone.Locator($"tr[data-worker-id='{workerId}'] .status")).ToHaveAttributeAsync("data-status", "active");
            await Expect(page.Locator($"table.offline tr[data-worker-id='{workerId}']")).ToHaveCountAsync(0);
            await browser.ScreenshotAsync("cluster");

            // The machine goes quiet: the open page lists it among the offline workers.
            await machine.StopAsync();
            await Expect(page.Locator($"table.offline tr[data-worker-id='{workerId}']")).ToContainTextAsync(name, new() { Timeout = 60_000 });
            await Expect(zone.Locator($"tr[data-worker-id='{workerId}'] .status")).ToHaveAttributeAsync("data-status", "offline");
            await AssertNotReloadedAsync(page, mark);
            await browser.ScreenshotAsync("offline");
        });
    }

    [Fact]
    public async Task A_user_signs_in_with_an_injected_browser_wallet()
    {
        var wallet = new TestWallet("0x" + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()) + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()));
        await using var browser = await PortalBrowser.OpenAsync(system.Url, "wallet", output);
        // An EIP-1193 provider as wallets inject it; personal_sign is answered by the test's wallet (secp256k1, EIP-191).
        var signed = new List<string>();
        await browser.Page.ExposeFunctionAsync("portalTestSign", (string hex) =>
        {
            var message = Encoding.UTF8.GetString(Convert.FromHexString(hex[2..]));
            signed.Add(message);
            return wallet.SignMessage(message);
        });
        await browser.AddInitScriptAsync($$"""
            window.ethereum = {
              async request({ method, params }) {
                if (method === "eth_requestAccounts") return ["{{wallet.Address}}"];
                if (method === "personal_sign") return await window.portalTestSign(params[0]);
                throw Object.assign(new Error("unsupported"), { code: 4200 });
              },
            };
            """);
        await browser.RunAsync(async page =>
        {
            await page.GotoAsync("/signin");
            await page.GetByRole(AriaRole.Button, new() { Name = "Sign in with Ethereum wallet" }).ClickAsync();
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Leases", Level = 1 })).ToBeVisibleAsync();
            var me = JsonNode.Parse(await page.EvaluateAsync<string>("() => localStorage.getItem('aetherium.session')"))!["me"]!;
            Assert.Equal(wallet.Address, me["wallet_address"]!.GetValue<string>());
            var message = Assert.Single(signed);
            Assert.Contains(wallet.Address, message, StringComparison.OrdinalIgnoreCase);
            await browser.ScreenshotAsync("signed-in");
        });
    }

    /// <summary>In the portal's index.html (portal/index.html) only.</summary>
    private const string PortalMarker = "Aetherium: rent VMs, enrol machines, watch the cluster.";

    [Fact]
    public async Task The_gateway_serves_the_portal_at_every_page_path_and_keeps_its_own_routes()
    {
        using var http = system.Gateway();
        foreach (var path in new[] { "/", "/leases", "/workers/3f1c2e8a-0000-4000-8000-000000000000", "/cluster" })
        {
            using var page = await http.GetAsync(path);
            Assert.Equal(200, (int)page.StatusCode);
            Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
            Assert.Contains(PortalMarker, await page.Content.ReadAsStringAsync());
            Assert.Contains("default-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single());
            Assert.Equal("no-cache", page.Headers.CacheControl?.ToString());
        }
        var html = await http.GetStringAsync("/");
        var script = System.Text.RegularExpressions.Regex.Match(html, "src=\"(/assets/[^\"]+\\.js)\"").Groups[1].Value;
        using var asset = await http.GetAsync(script);
        Assert.Equal(200, (int)asset.StatusCode);
        Assert.Equal("text/javascript", asset.Content.Headers.ContentType?.MediaType);
        Assert.Equal("public, max-age=31536000, immutable", string.Join(", ", asset.Headers.GetValues("Cache-Control")));

        // The API's own answers are untouched: unknown API routes and non-GET requests are ProblemDetails 404s.
        foreach (var (method, path) in new[] { ("GET", "/api/v1/nothing-here"), ("GET", "/api"), ("POST", "/workers"), ("DELETE", "/"), ("GET", "/internal/anything") })
        {
            using var response = await http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
            Assert.Equal(404, (int)response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
        Assert.Equal(401, (int)(await http.GetAsync("/api/v1/workers")).StatusCode);
        Assert.Contains("\"status\"", await http.GetStringAsync("/health"));
        Assert.Contains("jwks_uri", await http.GetStringAsync("/.well-known/openid-configuration"));
        Assert.DoesNotContain(PortalMarker, await http.GetStringAsync("/docs"));
        Assert.Contains("\"openapi\"", await http.GetStringAsync("/openapi/v1.json"));
    }
}
