using Aetherium.Hosting.Infrastructure;
using System.Net.Http.Headers;
using System.Text;

namespace Aetherium.Testing;

/// <summary>
/// One PostgreSQL and one RabbitMQ for the whole test run. The test script starts them once
/// (tests/Aetherium.TestInfra) and passes <c>ConnectionStrings__postgres</c>, <c>ConnectionStrings__messaging</c>
/// and <c>AETHERIUM_RABBITMQ_MANAGEMENT</c>; when a test project runs alone without them, it starts its
/// own pair, shared by every test class of that process. Test classes isolate themselves with their
/// own databases and virtual hosts.
/// </summary>
public sealed class SharedInfrastructure
{
    public const string PostgresVariable = "ConnectionStrings__postgres";
    public const string MessagingVariable = "ConnectionStrings__messaging";
    public const string ManagementVariable = "AETHERIUM_RABBITMQ_MANAGEMENT";

    private static readonly Lazy<Task<SharedInfrastructure>> Instance = new(CreateAsync);
    private readonly string _managementUrl;

    private SharedInfrastructure(string postgres, string messaging, string managementUrl)
    {
        PostgresConnectionString = postgres;
        MessagingConnectionString = messaging;
        _managementUrl = managementUrl;
    }

    /// <summary>Server-level connection string (database "postgres").</summary>
    public string PostgresConnectionString { get; }
    /// <summary>amqp:// URI of the default virtual host.</summary>
    public string MessagingConnectionString { get; }

    public static Task<SharedInfrastructure> GetAsync() => Instance.Value;

    private static async Task<SharedInfrastructure> CreateAsync()
    {
        var pg = Environment.GetEnvironmentVariable(PostgresVariable);
        var mq = Environment.GetEnvironmentVariable(MessagingVariable);
        var mgmt = Environment.GetEnvironmentVariable(ManagementVariable);
        if (!string.IsNullOrEmpty(pg) && !string.IsNullOrEmpty(mq) && !string.IsNullOrEmpty(mgmt))
            return new SharedInfrastructure(pg, mq, mgmt);

        var (postgres, rabbit) = await StartPrivateAsync();
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            rabbit.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(25));
            postgres.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(15));
        };
        return new SharedInfrastructure(postgres.ConnectionString("postgres"), rabbit.ConnectionString(), ManagementUrl(rabbit));
    }

    /// <summary>Starts a PostgreSQL and a RabbitMQ (with management) side by side.</summary>
    public static async Task<(PostgresServer Postgres, RabbitMqServer RabbitMq)> StartPrivateAsync()
    {
        var pg = PostgresServer.StartAsync(new PostgresOptions());
        var mq = RabbitMqServer.StartAsync(new RabbitMqOptions { Management = true });
        return (await pg, await mq);
    }

    public static string ManagementUrl(RabbitMqServer rabbit) =>
        $"http://{Uri.EscapeDataString(rabbit.Username)}:{Uri.EscapeDataString(rabbit.Password)}@127.0.0.1:{rabbit.ManagementPort}/";

    /// <summary>A unique lower-case name for a database or virtual host of one test class.</summary>
    public static string UniqueName(string prefix) =>
        $"{new string(prefix.ToLowerInvariant().Where(char.IsAsciiLetterOrDigit).Take(20).ToArray())}_{Guid.NewGuid():N}";

    /// <summary>Creates a fresh database; returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string name)
    {
        await PostgresServer.CreateDatabaseAsync(PostgresConnectionString, name);
        var b = new Npgsql.NpgsqlConnectionStringBuilder(PostgresConnectionString) { Database = name };
        return b.ConnectionString;
    }

    /// <summary>Creates a fresh virtual host with full permissions; returns its amqp:// URI.</summary>
    public async Task<string> CreateVirtualHostAsync(string name)
    {
        var mgmt = new Uri(_managementUrl);
        var userInfo = mgmt.UserInfo.Split(':', 2);
        var user = Uri.UnescapeDataString(userInfo[0]);
        var pass = Uri.UnescapeDataString(userInfo[1]);
        using var http = new HttpClient { BaseAddress = new Uri($"{mgmt.Scheme}://{mgmt.Host}:{mgmt.Port}/") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{pass}")));
        var vhost = Uri.EscapeDataString(name);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                (await http.PutAsync($"api/vhosts/{vhost}", null)).EnsureSuccessStatusCode();
                break;
            }
            catch (HttpRequestException) when (attempt < 100) { await Task.Delay(200); }
        }
        var perms = new StringContent("""{"configure":".*","write":".*","read":".*"}""", Encoding.UTF8, "application/json");
        (await http.PutAsync($"api/permissions/{vhost}/{Uri.EscapeDataString(user)}", perms)).EnsureSuccessStatusCode();
        var amqp = new Uri(MessagingConnectionString);
        return $"amqp://{amqp.UserInfo}@{amqp.Host}:{amqp.Port}/{vhost}";
    }
}
