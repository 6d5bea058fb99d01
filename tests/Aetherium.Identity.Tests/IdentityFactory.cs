using Aetherium.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Aetherium.Identity.Tests;

/// <summary>
/// Identity in-process on its own database and virtual host of the real PostgreSQL/RabbitMQ.
/// Unlike other services' factories it does not trust <see cref="TestTokens"/>: identity must accept
/// only tokens signed by its own keys, and that is what these tests check.
/// </summary>
public sealed class IdentityFactory(ServiceSettings settings) : ServiceFactory<Program>(settings)
{
    public const string AdminUsername = "admin";
    public const string AdminPassword = "first-admin-password";
    public const string InventorySecret = "inventory-client-secret";

    public LogCapture Logs { get; } = new();

    public static async Task<ServiceSettings> SettingsAsync(string testName, IDictionary<string, string?>? extra = null)
    {
        var config = new Dictionary<string, string?>
        {
            ["Admin:Username"] = AdminUsername,
            ["Admin:Password"] = AdminPassword,
            ["ServiceClients:inventory:Secret"] = InventorySecret,
            ["RateLimits:Auth:PermitLimit"] = "100000",
            ["Outbox:PollInterval"] = "00:00:00.100",
        };
        foreach (var (k, v) in extra ?? new Dictionary<string, string?>()) config[k] = v;
        return await NewSettingsAsync("identitydb", testName, config);
    }

    /// <summary>A started, healthy identity (in-memory server).</summary>
    public static async Task<IdentityFactory> StartAsync(string testName, IDictionary<string, string?>? extra = null)
    {
        var factory = new IdentityFactory(await SettingsAsync(testName, extra));
        await factory.WaitHealthyAsync();
        return factory;
    }

    /// <summary>The base URL when started with UseKestrel().</summary>
    public string ListeningUrl => Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        // Deliberately not base.ConfigureWebHost: that makes the service trust TestTokens.
        builder.UseEnvironment("Development");
        builder.ConfigureAppConfiguration(c => c.AddInMemoryCollection(Settings.ToConfiguration()));
        builder.ConfigureLogging(l => l.AddProvider(Logs));
    }
}
