using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Aetherium.Hosting;
using Aetherium.Hosting.Infrastructure;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Aetherium.AppHost.Dashboard;

/// <summary>
/// The AppHost's own dashboard (Aspire's cannot be installed here): a web page at <c>http://localhost:18888</c>
/// (configuration <c>AppHost:DashboardUrl</c>) with the resources, their console logs, and the traces, structured
/// logs and metrics the OTLP receiver took in. Access needs the browser token (<c>AppHost:BrowserToken</c>, else
/// one per run), printed once at start-up as a login link, as Aspire's is.
/// </summary>
public sealed class Dashboard : IDistributedApplicationLifecycleHook
{
    public const string DefaultUrl = "http://localhost:18888";
    private WebApplication? _web;
    private QueueDepths? _queues;

    internal Dashboard(DistributedApplicationBuilder builder)
    {
        var configured = builder.Configuration["AppHost:DashboardUrl"];
        var url = new Uri(configured is { Length: > 0 } ? configured : DefaultUrl);
        // Tests get a free port; a busy default (another AppHost) gives way to a free one rather than failing the run.
        if (configured is not { Length: > 0 } && (builder.Options.RandomizePorts || !IsFree(url.Port)))
            url = new UriBuilder(url) { Port = Ports.Free() }.Uri;
        Url = url.GetLeftPart(UriPartial.Authority);
        BrowserToken = builder.Configuration["AppHost:BrowserToken"] is { Length: > 0 } token
            ? token
            : Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
    }

    public string Url { get; }
    /// <summary>The secret a browser exchanges for its session cookie at <see cref="LoginUrl"/>.</summary>
    public string BrowserToken { get; }
    public string LoginUrl => $"{Url}/login?t={Uri.EscapeDataString(BrowserToken)}";

    public async Task BeforeStartAsync(DistributedApplication app, CancellationToken ct)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(Url);
        // Request logs would carry the login link's token: the dashboard logs warnings and errors only.
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        builder.Services.ConfigureHttpJsonOptions(o => DashboardJson.Configure(o.SerializerOptions));
        builder.Services.AddProblemDetails();
        builder.Services.AddHttpClient();
        _queues = new QueueDepths(app);
        var web = builder.Build();
        var auth = new DashboardAuth(BrowserToken);
        web.Use(DashboardAuth.SecurityHeaders);
        web.MapGet(DashboardAuth.LoginPath, auth.Login);
        web.Use(auth.RequireSession);
        StaticAssets.Map(web);
        ResourcesApi.Map(web, app);
        ConsoleLogsApi.Map(web, app);
        TelemetryApi.Map(web, app);
        web.MapGet("/api/queues", (CancellationToken c) => _queues.CurrentAsync(c));
        await web.StartAsync(ct);
        _web = web;
        _queues.Start();

        app.Announce($"dashboard: {LoginUrl}");
        app.Announce(app.ExternalOtlpEndpoint is { } external
            ? $"telemetry: exported to the external collector at {external} (not shown in the dashboard)"
            : app.OtlpReceiver is { } otlp ? $"telemetry: OTLP/gRPC {otlp.GrpcEndpoint}, OTLP/HTTP {otlp.HttpEndpoint}" : "telemetry: off");
    }

    public async Task AfterStopAsync(DistributedApplication app)
    {
        if (_queues is not null) await _queues.DisposeAsync();
        if (_web is null) return;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _web.StopAsync(timeout.Token);
        await _web.DisposeAsync();
        _web = null;
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var l = new TcpListener(IPAddress.Loopback, port);
            l.Start();
            return true;
        }
        catch (SocketException) { return false; }
    }
}

public static class DashboardExtensions
{
    /// <summary>Serves the dashboard while the app runs; nothing when the builder disables it (the testing builder's default).</summary>
    public static Dashboard? AddDashboard(this DistributedApplicationBuilder builder)
    {
        if (builder.Options.DisableDashboard) return null;
        var dashboard = new Dashboard(builder);
        builder.LifecycleHooks.Add(dashboard);
        return dashboard;
    }
}
