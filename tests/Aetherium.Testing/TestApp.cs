using Aetherium.Hosting;
using Aetherium.Hosting.Testing;

namespace Aetherium.Testing;

/// <summary>
/// The app model started from a test on the run's shared PostgreSQL and RabbitMQ: its own databases
/// (a name suffix) and its own virtual host, so test classes do not see each other's state.
/// <code>
/// var builder = await TestApp.CreateBuilderAsync("scheduler-e2e");
/// AetheriumModel.Define(builder);
/// builder.KeepOnly(["scheduler", "inventory"]);
/// await using var app = builder.Build();
/// await app.StartAsync();
/// </code>
/// </summary>
public static class TestApp
{
    public static async Task<DistributedApplicationBuilder> CreateBuilderAsync(string testName, IDictionary<string, string?>? configuration = null, bool echoLogs = false, bool disableDashboard = true)
    {
        var infra = await SharedInfrastructure.GetAsync();
        var name = SharedInfrastructure.UniqueName(testName);
        var vhost = await infra.CreateVirtualHostAsync(name);
        return DistributedApplicationTestingBuilder.Create(new TestingOptions
        {
            PostgresConnectionString = infra.PostgresConnectionString,
            MessagingConnectionString = vhost,
            Configuration = configuration ?? new Dictionary<string, string?>(),
            EchoLogs = echoLogs || Environment.GetEnvironmentVariable("AETHERIUM_TEST_ECHO") == "1",
            DisableDashboard = disableDashboard,
        });
    }
}
