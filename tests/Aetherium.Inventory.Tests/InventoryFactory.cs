using System.Collections.Concurrent;
using System.Net.Http.Headers;
using Aetherium.Contracts.Internal;
using Aetherium.Inventory.Workers;
using Aetherium.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Aetherium.Inventory.Tests;

/// <summary>
/// Inventory in-process on real PostgreSQL and RabbitMQ. Only the HTTP call to identity is played by
/// <see cref="FakeIdentity"/> (identity is another service); its tokens are real JWTs the service validates.
/// Two factories on the same <see cref="ServiceSettings"/> are two replicas.
/// </summary>
public sealed class InventoryFactory(ServiceSettings settings) : ServiceFactory<Program>(settings)
{
    public FakeIdentity Identity { get; } = new();
    public LogCapture Logs { get; } = new();

    /// <summary>Fast timings for tests; a test class overrides what it exercises.</summary>
    public static Dictionary<string, string?> Fast(params (string Key, string Value)[] overrides)
    {
        var config = new Dictionary<string, string?>
        {
            ["Inventory:HeartbeatInterval"] = "00:00:00.300",
            ["Inventory:MetricsInterval"] = "00:00:01",
            ["Inventory:OfflineTimeout"] = "00:01:00",
            ["Inventory:FlushInterval"] = "00:00:00.100",
            ["Inventory:LeaderPollInterval"] = "00:00:00.200",
            ["Inventory:PublicUrl"] = "https://cloud.example.test",
            ["Outbox:PollInterval"] = "00:00:00.100",
        };
        foreach (var (k, v) in overrides) config[k] = v;
        return config;
    }

    public static async Task<InventoryFactory> StartAsync(string testName, Dictionary<string, string?>? config = null)
    {
        var factory = new InventoryFactory(await NewSettingsAsync("inventorydb", testName, config ?? Fast()));
        await factory.WaitHealthyAsync();
        return factory;
    }

    /// <summary>Another replica of the same service: same database, same broker.</summary>
    public async Task<InventoryFactory> ReplicaAsync(ServiceSettings? settings = null)
    {
        var replica = new InventoryFactory(settings ?? Settings);
        await replica.WaitHealthyAsync();
        return replica;
    }

    public HttpClient As(string token)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureLogging(l => l.AddProvider(Logs));
        builder.ConfigureTestServices(s => s.AddSingleton<IWorkerTokenIssuer>(Identity));
    }
}

/// <summary>Plays identity's POST /internal/worker-tokens: mints a real worker JWT with the test key.</summary>
public sealed class FakeIdentity : IWorkerTokenIssuer
{
    public ConcurrentQueue<IssueWorkerTokenRequest> Requests { get; } = new();
    public bool Down { get; set; }

    public Task<IssuedWorkerToken> IssueAsync(IssueWorkerTokenRequest request, CancellationToken ct)
    {
        if (Down) throw new HttpRequestException("Connection refused (identity:80)");
        Requests.Enqueue(request);
        var id = Guid.NewGuid();
        var lifetime = TimeSpan.FromSeconds(request.ExpiresInSeconds ?? 365L * 24 * 3600);
        var token = TestTokens.Worker(request.WorkerId, request.OrganizationId, id, lifetime);
        return Task.FromResult(new IssuedWorkerToken(token, id, DateTimeOffset.UtcNow + lifetime));
    }
}
