namespace Aetherium.Hosting.Testing;

public sealed class TestingOptions
{
    /// <summary>An existing PostgreSQL server (database "postgres"); null starts a private one.</summary>
    public string? PostgresConnectionString { get; init; }
    /// <summary>An existing broker's amqp:// URI, usually with a virtual host of the test's own; null starts a private one.</summary>
    public string? MessagingConnectionString { get; init; }
    /// <summary>Appended to every database name so test classes can share a server (default: a fresh one).</summary>
    public string DatabaseSuffix { get; init; } = "_" + Guid.NewGuid().ToString("N")[..10];
    /// <summary>Configuration for the model (Parameters:*, and anything the model reads).</summary>
    public IDictionary<string, string?> Configuration { get; init; } = new Dictionary<string, string?>();
    public bool EchoLogs { get; init; }
    /// <summary>Names of the PostgreSQL and RabbitMQ resources in the model.</summary>
    public string PostgresResource { get; init; } = "postgres";
    public string MessagingResource { get; init; } = "messaging";
    /// <summary>As Aspire.Hosting.Testing: no dashboard and no OTLP receiver unless a test asks for them.</summary>
    public bool DisableDashboard { get; init; } = true;
}

/// <summary>
/// Our Aspire.Hosting.Testing: the same app model, started from a test. Ports are random, state goes
/// to a temporary directory removed afterwards, output is kept (not echoed), and PostgreSQL / RabbitMQ
/// may be existing servers shared by the whole test run.
/// <code>
/// var builder = DistributedApplicationTestingBuilder.Create(new() { PostgresConnectionString = .., MessagingConnectionString = .. });
/// AetheriumModel.Define(builder);
/// builder.KeepOnly(["inventory"]);
/// await using var app = builder.Build();
/// await app.StartAsync();
/// using var http = app.CreateHttpClient("inventory");
/// </code>
/// </summary>
public static class DistributedApplicationTestingBuilder
{
    public static DistributedApplicationBuilder Create(TestingOptions? options = null)
    {
        options ??= new TestingOptions();
        var configuration = new Dictionary<string, string?>(options.Configuration);
        if (options.PostgresConnectionString is not null)
            configuration[$"ConnectionStrings:{options.PostgresResource}"] = options.PostgresConnectionString;
        if (options.MessagingConnectionString is not null)
            configuration[$"ConnectionStrings:{options.MessagingResource}"] = options.MessagingConnectionString;
        return new DistributedApplicationBuilder(new DistributedApplicationOptions
        {
            RandomizePorts = true,
            DataDirectory = Path.Combine(Path.GetTempPath(), $"aetherium-apphost-{Guid.NewGuid():N}"[..30]),
            DeleteDataDirectoryOnDispose = true,
            DurableInfrastructure = false,
            EchoLogs = options.EchoLogs,
            DatabaseSuffix = options.DatabaseSuffix,
            Configuration = configuration,
            DisableDashboard = options.DisableDashboard,
        });
    }
}
