using Microsoft.Playwright;
using Xunit;
using Xunit.Abstractions;

namespace Aetherium.Portal.Tests;

/// <summary>
/// Headless Chromium (Debian's <c>chromium</c>, driven by Playwright without a browser download, as the AppHost's
/// dashboard test does) on a fresh profile, pointed at the gateway. Screenshots go to <see cref="ArtifactDirectory"/>
/// and their paths to the test output; a failing step leaves a screenshot of the page as it was.
/// </summary>
public sealed class PortalBrowser : IAsyncDisposable
{
    public const string Chromium = "/usr/bin/chromium";

    private readonly IPlaywright _playwright;
    private readonly IBrowserContext _context;
    private readonly DirectoryInfo _profile;
    private readonly ITestOutputHelper _output;
    private readonly string _test;

    private readonly List<string> _console = [];

    public IPage Page { get; }
    /// <summary>Uncaught script errors of the page: a test ends with none.</summary>
    public List<string> ScriptErrors { get; } = [];

    /// <summary>Under the test's output directory, unless AETHERIUM_TEST_ARTIFACTS names another.</summary>
    public static string ArtifactDirectory
    {
        get
        {
            var dir = Environment.GetEnvironmentVariable("AETHERIUM_TEST_ARTIFACTS") is { Length: > 0 } configured
                ? Path.Combine(configured, "portal")
                : Path.Combine(AppContext.BaseDirectory, "screenshots");
            Directory.CreateDirectory(dir);
            return dir;
        }
    }

    private PortalBrowser(IPlaywright playwright, IBrowserContext context, DirectoryInfo profile, IPage page, ITestOutputHelper output, string test)
    {
        (_playwright, _context, _profile, Page, _output, _test) = (playwright, context, profile, page, output, test);
        page.PageError += (_, e) => ScriptErrors.Add(e);
        page.Console += (_, m) => { lock (_console) _console.Add($"{m.Type}: {m.Text}"); };
        page.SetDefaultTimeout(30_000);
    }

    public static async Task<PortalBrowser> OpenAsync(string gateway, string test, ITestOutputHelper output)
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: scripts/prereqs.sh installs Debian's chromium package (apt-get install -y chromium).");
        var playwright = await Playwright.CreateAsync();
        var profile = Directory.CreateTempSubdirectory("aetherium-portal-chromium-");
        var context = await playwright.Chromium.LaunchPersistentContextAsync(profile.FullName, new BrowserTypeLaunchPersistentContextOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            // The machine has no network but loopback: no background fetches, no GPU, no sandbox as root.
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
            ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
            BaseURL = gateway,
        });
        var page = context.Pages.Count > 0 ? context.Pages[0] : await context.NewPageAsync();
        return new PortalBrowser(playwright, context, profile, page, output, test);
    }

    public Task GrantClipboardAsync(string origin) => _context.GrantPermissionsAsync(["clipboard-read", "clipboard-write"], new() { Origin = origin });

    public Task AddInitScriptAsync(string script) => _context.AddInitScriptAsync(script);

    public async Task<string> ScreenshotAsync(string name)
    {
        var path = Path.Combine(ArtifactDirectory, $"{_test}-{name}.png");
        await Page.ScreenshotAsync(new() { Path = path, FullPage = true });
        _output.WriteLine($"screenshot: {path}");
        return path;
    }

    /// <summary>Runs the test's steps; when one fails, a screenshot of the page shows where.</summary>
    public async Task RunAsync(Func<IPage, Task> steps)
    {
        try
        {
            await steps(Page);
        }
        catch
        {
            // What the page said and had, beside the screenshot: a blank page shows nothing of why.
            lock (_console) foreach (var line in _console) _output.WriteLine($"console {line}");
            foreach (var error in ScriptErrors) _output.WriteLine($"script error: {error}");
            try
            {
                _output.WriteLine($"at {Page.Url}: {await Page.EvaluateAsync<string>("() => document.body.innerHTML.slice(0, 2000)")}");
                await ScreenshotAsync("failure");
            }
            catch (PlaywrightException) { /* the page is gone: the original failure says more */ }
            throw;
        }
        Assert.Empty(ScriptErrors);
    }

    public async ValueTask DisposeAsync()
    {
        await _context.DisposeAsync();
        _playwright.Dispose();
        try { _profile.Delete(recursive: true); } catch (IOException) { /* chromium may still be writing to it */ }
    }
}
