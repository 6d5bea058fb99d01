using System.Net;
using System.Text.Json;
using Aetherium.AppHost.Dashboard;
using Aetherium.Hosting;
using Aetherium.Hosting.Testing;

namespace Aetherium.AppHost.Tests.Dashboard;

/// <summary>A browser-like client of the dashboard: a cookie jar, signed in through the login link or not at all.</summary>
public sealed class DashboardClient : IDisposable
{
    private readonly HttpClient _http;

    private DashboardClient(string url)
    {
        _http = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false }) { BaseAddress = new Uri(url) };
    }

    public HttpClient Http => _http;

    public static DashboardClient Anonymous(AppHost.Dashboard.Dashboard dashboard) => new(dashboard.Url);

    public static async Task<DashboardClient> SignedInAsync(AppHost.Dashboard.Dashboard dashboard)
    {
        var client = new DashboardClient(dashboard.Url);
        using var login = await client._http.GetAsync(dashboard.LoginUrl);
        if (login.StatusCode != HttpStatusCode.Redirect) throw new InvalidOperationException($"login answered {login.StatusCode}");
        return client;
    }

    public async Task<JsonElement> GetJsonAsync(string path)
    {
        using var response = await _http.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new HttpRequestException($"GET {path}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    public void Dispose() => _http.Dispose();

    /// <summary>An app with no resources but the dashboard and the OTLP receiver, as the testing builder makes it on request.</summary>
    public static async Task<(DistributedApplication App, AppHost.Dashboard.Dashboard Dashboard)> StartEmptyAppAsync(IDictionary<string, string?>? configuration = null)
    {
        var builder = DistributedApplicationTestingBuilder.Create(new TestingOptions
        {
            DisableDashboard = false,
            Configuration = configuration ?? new Dictionary<string, string?>(),
        });
        var dashboard = builder.AddDashboard() ?? throw new InvalidOperationException("dashboard disabled");
        var app = builder.Build();
        await app.StartAsync();
        return (app, dashboard);
    }
}
