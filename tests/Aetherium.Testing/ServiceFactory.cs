using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Aetherium.Testing;

/// <summary>
/// One service in-process against the shared real PostgreSQL and RabbitMQ, on its own database and
/// virtual host, trusting <see cref="TestTokens"/>. Two factories given the same <see cref="ServiceSettings"/>
/// are two replicas of the service (same database, same broker).
/// </summary>
public class ServiceFactory<TProgram> : WebApplicationFactory<TProgram> where TProgram : class
{
    public ServiceFactory(ServiceSettings settings) => Settings = settings;

    public ServiceSettings Settings { get; }

    /// <summary>A fresh database (named after <paramref name="testName"/>) and virtual host for one test class.</summary>
    public static async Task<ServiceSettings> NewSettingsAsync(string connectionName, string testName, IDictionary<string, string?>? extra = null)
    {
        var infra = await SharedInfrastructure.GetAsync();
        var name = SharedInfrastructure.UniqueName(testName);
        var db = await infra.CreateDatabaseAsync(name);
        var mq = await infra.CreateVirtualHostAsync(name);
        return new ServiceSettings(connectionName, db, mq, new Dictionary<string, string?>(extra ?? new Dictionary<string, string?>()));
    }

    public static async Task<ServiceFactory<TProgram>> CreateAsync(string connectionName, string testName, IDictionary<string, string?>? extra = null) =>
        new(await NewSettingsAsync(connectionName, testName, extra));

    /// <summary>Starts the service (if not yet) and waits until its database and bus are ready.</summary>
    public Task WaitHealthyAsync(TimeSpan? timeout = null) => Health.WaitHealthyAsync(Services, timeout);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.ConfigureAppConfiguration(c => c.AddInMemoryCollection(Settings.ToConfiguration()));
        builder.ConfigureTestServices(s => s.AcceptTestTokens());
    }
}

/// <summary>Where a service under test keeps its state, plus extra configuration.</summary>
public sealed record ServiceSettings(string ConnectionName, string DatabaseConnectionString, string MessagingConnectionString, Dictionary<string, string?> Extra)
{
    public IEnumerable<KeyValuePair<string, string?>> ToConfiguration()
    {
        var all = new Dictionary<string, string?>
        {
            [$"ConnectionStrings:{ConnectionName}"] = DatabaseConnectionString,
            ["ConnectionStrings:messaging"] = MessagingConnectionString,
        };
        foreach (var (k, v) in Extra) all[k] = v;
        return all;
    }
}
