using Aetherium.AppHost;
using Aetherium.Hosting;
using Aetherium.Hosting.ApplicationModel;
using Aetherium.Hosting.Testing;
using Xunit;

namespace Aetherium.Testing.System;

/// <summary>
/// The whole system (or the part a test class names) started once for a test class, through the
/// testing builder, on the run's shared PostgreSQL and RabbitMQ. Drive it through <see cref="Gateway"/>.
/// </summary>
public class SystemFixture : IAsyncLifetime
{
    public const string AdminPassword = "admin-password-for-tests";
    private DistributedApplication? _app;

    public DistributedApplication App => _app ?? throw new InvalidOperationException("The system is not started.");

    /// <summary>Names the databases and virtual host of this fixture.</summary>
    protected virtual string Name => GetType().Name;

    /// <summary>Resources to keep (with what they need); null: everything.</summary>
    protected virtual string[]? Resources => null;

    /// <summary>
    /// A PostgreSQL server and RabbitMQ broker of this fixture's own instead of the run's shared ones,
    /// for tests that stop or restart them (other test classes must not see that).
    /// </summary>
    protected virtual bool PrivateInfrastructure => false;

    /// <summary>
    /// Receive the services' OTLP in the test (<c>App.Telemetry</c>: their spans, logs and metrics), as the
    /// AppHost's dashboard does. Off by default: most tests do not read telemetry.
    /// </summary>
    protected virtual bool CollectTelemetry => false;

    /// <summary>Configuration the model reads while it is declared (Parameters:*).</summary>
    protected virtual void AddConfiguration(IDictionary<string, string?> configuration) { }

    /// <summary>Changes to the declared model (environment overrides) before it is built.</summary>
    protected virtual void Configure(DistributedApplicationBuilder builder) { }

    public async Task InitializeAsync()
    {
        var configuration = new Dictionary<string, string?> { ["Parameters:admin-password"] = AdminPassword };
        AddConfiguration(configuration);
        if (PrivateInfrastructure)
        {
            // The run's shared servers come as ConnectionStrings__* in the environment: not these.
            configuration["ConnectionStrings:postgres"] = null;
            configuration["ConnectionStrings:messaging"] = null;
        }
        var builder = PrivateInfrastructure
            ? DistributedApplicationTestingBuilder.Create(new TestingOptions
            {
                Configuration = configuration,
                EchoLogs = Environment.GetEnvironmentVariable("AETHERIUM_TEST_ECHO") == "1",
                DisableDashboard = !CollectTelemetry,
            })
            : await TestApp.CreateBuilderAsync(Name, configuration, disableDashboard: !CollectTelemetry);
        AetheriumModel.Define(builder);
        if (Resources is { } keep) builder.KeepOnly(keep);
        // Many sign-ins from one address in a test run: identity's per-address limit is raised.
        builder.SetEnvironment(AetheriumModel.Identity, "RateLimits__Auth__PermitLimit", "10000");
        Configure(builder);
        _app = builder.Build();
        await _app.StartAsync();
    }

    public HttpClient Gateway(string? token = null)
    {
        var http = new HttpClient { BaseAddress = new Uri(App.GetUrl(AetheriumModel.Gateway)), Timeout = TimeSpan.FromSeconds(60) };
        if (token is not null) http.DefaultRequestHeaders.Authorization = new("Bearer", token);
        return http;
    }

    public virtual async Task DisposeAsync()
    {
        if (_app is not null) await _app.DisposeAsync();
    }
}

public static class BuilderExtensions
{
    /// <summary>Sets one variable of a project's environment (every replica), overriding the model's.</summary>
    public static DistributedApplicationBuilder SetEnvironment(this DistributedApplicationBuilder builder, string project, string name, string value)
    {
        if (builder.Find(project) is ProjectResource p) p.Environment[name] = value;
        return builder;
    }
}
