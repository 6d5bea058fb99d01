using Aetherium.Lease.Persistence;
using Aetherium.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Aetherium.Lease.Tests;

/// <summary>
/// The lease service in-process on its own database and virtual host of the real PostgreSQL/RabbitMQ,
/// trusting <see cref="TestTokens"/>, with its log captured. Two factories on the same settings are two replicas.
/// </summary>
public sealed class LeaseFactory(ServiceSettings settings) : ServiceFactory<Program>(settings)
{
    public LogCapture Logs { get; } = new();

    public static Task<ServiceSettings> SettingsAsync(string testName, IDictionary<string, string?>? extra = null) =>
        NewSettingsAsync("leasedb", testName, extra);

    /// <summary>A started lease service whose database is migrated and whose bus is ready.</summary>
    public static async Task<LeaseFactory> StartAsync(ServiceSettings settings)
    {
        var factory = new LeaseFactory(settings);
        await factory.WaitHealthyAsync();
        return factory;
    }

    public async Task<T> DbAsync<T>(Func<LeaseDbContext, Task<T>> work)
    {
        await using var scope = Services.CreateAsyncScope();
        return await work(scope.ServiceProvider.GetRequiredService<LeaseDbContext>());
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureLogging(l => l.AddProvider(Logs));
    }
}
