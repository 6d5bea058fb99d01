using Aetherium.Hosting;
using Aetherium.Hosting.ApplicationModel;
using Aetherium.Hosting.Orchestration;
using Xunit;

namespace Aetherium.AppHost.Tests;

/// <summary>
/// Pins what each project receives to Aspire's formats (DESIGN §3 point 3), so the services would run
/// unchanged under a real Aspire AppHost. Nothing is started: Build() only allocates ports.
/// </summary>
public sealed class EnvironmentTests : IDisposable
{
    private readonly string _state = Path.Combine(Path.GetTempPath(), $"aetherium-envtest-{Guid.NewGuid():N}");

    private DistributedApplication Build(Dictionary<string, string?>? extra = null)
    {
        var configuration = new Dictionary<string, string?>
        {
            ["Parameters:postgres-password"] = "pg-secret",
            ["Parameters:messaging-password"] = "mq-secret",
            ["Parameters:admin-password"] = "admin-secret",
            // The test run's shared servers come as ConnectionStrings__* in the environment: this is the model's own.
            ["ConnectionStrings:postgres"] = null,
            ["ConnectionStrings:messaging"] = null,
        };
        foreach (var (k, v) in extra ?? []) configuration[k] = v;
        var builder = new DistributedApplicationBuilder(new DistributedApplicationOptions { DataDirectory = _state, Configuration = configuration, EchoLogs = false });
        AetheriumModel.Define(builder);
        return builder.Build();
    }

    private static Dictionary<string, string?> Env(DistributedApplication app, string project, int replica = 0) =>
        EnvironmentResolver.Resolve(app.EnvironmentOf(project, replica));

    private static T Resource<T>(DistributedApplication app, string name) where T : Resource =>
        (T)app.Builder.Resources.Single(r => r.Name == name);

    [Fact]
    public void Database_and_broker_connection_strings_have_Aspire_formats()
    {
        var app = Build();
        var pg = Resource<PostgresServerResource>(app, "postgres");
        var mq = Resource<RabbitMQServerResource>(app, "messaging");
        var env = Env(app, "inventory");

        Assert.Equal($"Host=localhost;Port={pg.Port};Username=postgres;Password=pg-secret;Database=inventorydb", env["ConnectionStrings__inventorydb"]);
        Assert.Equal($"amqp://guest:mq-secret@localhost:{mq.Port}", env["ConnectionStrings__messaging"]);
        Assert.DoesNotContain("ConnectionStrings__identitydb", env.Keys); // a service sees only its own database
    }

    [Fact]
    public void Service_discovery_and_urls_have_Aspire_formats()
    {
        var app = Build();
        var identity = Resource<ProjectResource>(app, "identity");
        var gatewayEnv = Env(app, "gateway");

        Assert.Equal("http://localhost:8080", gatewayEnv["ASPNETCORE_URLS"]);
        Assert.Equal($"http://localhost:{identity.Ports[0]}", gatewayEnv["services__identity__http__0"]);
        foreach (var service in AetheriumModel.Services)
            Assert.Matches(@"^http://localhost:\d+$", gatewayEnv[$"services__{service}__http__0"]);
        Assert.Equal($"http://localhost:{identity.Ports[0]}", Env(app, "identity")["ASPNETCORE_URLS"]);
        Assert.Equal("http://localhost:8080", Env(app, "inventory")["Inventory__PublicUrl"]);
    }

    [Fact]
    public void OpenTelemetry_and_logging_variables_are_Aspire_s()
    {
        var app = Build();
        var env = Env(app, "scheduler");

        Assert.Equal("scheduler", env["OTEL_SERVICE_NAME"]);
        Assert.Matches(@"^service\.instance\.id=scheduler-[0-9a-f]{8}-0$", env["OTEL_RESOURCE_ATTRIBUTES"]);
        Assert.Equal("1000", env["OTEL_BSP_SCHEDULE_DELAY"]);
        Assert.Equal("1000", env["OTEL_BLRP_SCHEDULE_DELAY"]);
        Assert.Equal("1000", env["OTEL_METRIC_EXPORT_INTERVAL"]);
        Assert.Equal("always_on", env["OTEL_TRACES_SAMPLER"]);
        Assert.Equal("grpc", env["OTEL_EXPORTER_OTLP_PROTOCOL"]);
        Assert.Equal("simple", env["LOGGING__CONSOLE__FORMATTERNAME"]);
        Assert.Equal("Development", env["DOTNET_ENVIRONMENT"]);
        Assert.Equal("Development", env["ASPNETCORE_ENVIRONMENT"]);
    }

    [Fact]
    public void By_default_every_project_exports_to_the_AppHost_s_own_receiver_with_its_api_key()
    {
        var app = Build(new() { ["AppHost:OtlpApiKey"] = "the-otlp-key" });
        var receiver = Assert.IsType<Hosting.Telemetry.OtlpReceiver>(app.OtlpReceiver);

        Assert.Matches(@"^http://localhost:\d+$", receiver.GrpcEndpoint);
        foreach (var project in AetheriumModel.Services.Append(AetheriumModel.Gateway))
        {
            var env = Env(app, project);
            Assert.Equal(receiver.GrpcEndpoint, env["OTEL_EXPORTER_OTLP_ENDPOINT"]);
            Assert.Equal("grpc", env["OTEL_EXPORTER_OTLP_PROTOCOL"]);
            Assert.Equal("x-otlp-api-key=the-otlp-key", env["OTEL_EXPORTER_OTLP_HEADERS"]);
        }
        Assert.Null(app.ExternalOtlpEndpoint);
        // The key is a secret: the dashboard shows it masked.
        Assert.Equal("********", EnvironmentResolver.Masked(app.EnvironmentOf("lease"))["OTEL_EXPORTER_OTLP_HEADERS"]);
    }

    [Fact]
    public void Without_a_key_configured_each_run_gets_its_own()
    {
        var first = Env(Build(), "lease")["OTEL_EXPORTER_OTLP_HEADERS"];
        var second = Env(Build(), "lease")["OTEL_EXPORTER_OTLP_HEADERS"];
        Assert.Matches("^x-otlp-api-key=[0-9a-f]{32}$", first);
        Assert.NotEqual(first, second);
    }

    [Fact]
    public void An_external_collector_given_to_the_AppHost_is_passed_on_unchanged_and_no_receiver_runs()
    {
        var app = Build(new()
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://collector:4317",
            ["OTEL_EXPORTER_OTLP_HEADERS"] = "authorization=Bearer abc",
        });
        var env = Env(app, "scheduler");

        Assert.Equal("http://collector:4317", env["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        Assert.Equal("authorization=Bearer abc", env["OTEL_EXPORTER_OTLP_HEADERS"]);
        Assert.Equal("grpc", env["OTEL_EXPORTER_OTLP_PROTOCOL"]);
        Assert.Null(app.OtlpReceiver);
        Assert.Null(app.Telemetry);
        Assert.Equal("http://collector:4317", app.ExternalOtlpEndpoint);
    }

    [Fact]
    public void With_the_dashboard_disabled_and_no_collector_no_endpoint_is_set()
    {
        var builder = new DistributedApplicationBuilder(new DistributedApplicationOptions
        {
            DataDirectory = _state,
            EchoLogs = false,
            DisableDashboard = true,
            Configuration = new Dictionary<string, string?> { ["Parameters:admin-password"] = "admin-secret" },
        });
        AetheriumModel.Define(builder);
        var env = Env(builder.Build(), "lease");

        Assert.DoesNotContain("OTEL_EXPORTER_OTLP_ENDPOINT", env.Keys);
        Assert.DoesNotContain("OTEL_EXPORTER_OTLP_HEADERS", env.Keys);
        Assert.Equal("lease", env["OTEL_SERVICE_NAME"]);
    }

    [Fact]
    public void Every_replica_is_a_service_discovery_entry_and_listens_on_its_own_port()
    {
        var app = Build(new() { ["Parameters:replicas"] = "2" });
        var inventory = Resource<ProjectResource>(app, "inventory");
        var gatewayEnv = Env(app, "gateway");

        Assert.Equal(2, inventory.Ports.Distinct().Count());
        Assert.Equal($"http://localhost:{inventory.Ports[0]}", gatewayEnv["services__inventory__http__0"]);
        Assert.Equal($"http://localhost:{inventory.Ports[1]}", gatewayEnv["services__inventory__http__1"]);
        Assert.Equal($"http://localhost:{inventory.Ports[1]}", Env(app, "inventory", 1)["ASPNETCORE_URLS"]);
        Assert.NotEqual(Env(app, "inventory", 0)["OTEL_RESOURCE_ATTRIBUTES"], Env(app, "inventory", 1)["OTEL_RESOURCE_ATTRIBUTES"]);
    }

    [Fact]
    public void An_existing_server_given_as_a_connection_string_replaces_the_private_one()
    {
        var app = Build(new()
        {
            ["ConnectionStrings:postgres"] = "Host=db.internal;Port=6432;Username=app;Password=x",
            ["ConnectionStrings:messaging"] = "amqp://app:y@mq.internal:5673/prod",
        });
        var env = Env(app, "identity");

        Assert.Equal("Host=db.internal;Port=6432;Username=app;Password=x;Database=identitydb", env["ConnectionStrings__identitydb"]);
        Assert.Equal("amqp://app:y@mq.internal:5673/prod", env["ConnectionStrings__messaging"]);
        Assert.True(Resource<PostgresServerResource>(app, "postgres").IsExternal);
    }

    [Fact]
    public void Identity_gets_the_first_admin_and_every_client_secret_and_clients_get_theirs()
    {
        var app = Build();
        var identity = Env(app, "identity");

        Assert.Equal("admin", identity["Admin__Username"]);
        Assert.Equal("admin-secret", identity["Admin__Password"]);
        foreach (var client in AetheriumModel.ServiceClients)
        {
            var env = Env(app, client);
            Assert.Equal(client, env["ServiceClient__ClientId"]);
            Assert.Equal(identity[$"ServiceClients__{client}__Secret"], env["ServiceClient__ClientSecret"]);
            Assert.Matches("^[0-9a-f]{24}$", env["ServiceClient__ClientSecret"]);
        }
    }

    [Fact]
    public void Generated_secrets_are_kept_across_runs_and_masked_for_display()
    {
        var first = Env(Build(), "identity")["ServiceClients__inventory__Secret"];
        var second = Env(Build(), "identity")["ServiceClients__inventory__Secret"];
        Assert.Equal(first, second);

        var masked = EnvironmentResolver.Masked(Build().EnvironmentOf("identity"));
        Assert.Equal("********", masked["Admin__Password"]);
        Assert.Equal("********", masked["ConnectionStrings__identitydb"]);
        Assert.Equal("identity", masked["OTEL_SERVICE_NAME"]);
    }

    public void Dispose()
    {
        try { Directory.Delete(_state, recursive: true); } catch (DirectoryNotFoundException) { }
    }
}
