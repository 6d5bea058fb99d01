using Aetherium.Contracts;
using Aetherium.Testing;
using Xunit;

[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Aetherium.Inventory.Tests;

/// <summary>One inventory (own database and virtual host) and a test bus observing what it publishes, per test class.</summary>
public class InventoryFixture : IAsyncLifetime
{
    public static readonly Type[] Observed =
    [
        typeof(WorkerCreated), typeof(WorkerRegistered), typeof(WorkerStatusChanged), typeof(WorkerCapacityChanged),
        typeof(WorkerDeleted), typeof(VmObserved), typeof(WorkerDesiredStateApplied), typeof(RevokeWorkerTokens),
    ];

    public InventoryFactory Factory { get; private set; } = null!;
    public TestBus Bus { get; private set; } = null!;

    protected virtual Dictionary<string, string?> Config => InventoryFactory.Fast();

    public async Task InitializeAsync()
    {
        Factory = await InventoryFactory.StartAsync(GetType().Name, Config);
        Bus = await TestBus.StartAsync(Factory.Settings.MessagingConnectionString, Observed);
    }

    public async Task DisposeAsync()
    {
        await Bus.DisposeAsync();
        await Factory.DisposeAsync();
    }
}

/// <summary>A tenant: an organisation with one user.</summary>
public sealed record Tenant(Guid OrganizationId, Guid UserId, string Token)
{
    public static Tenant New()
    {
        var org = Guid.NewGuid();
        var user = Guid.NewGuid();
        return new Tenant(org, user, TestTokens.User(org, user));
    }
}
