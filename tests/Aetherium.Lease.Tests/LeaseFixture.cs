using Aetherium.Testing;
using Xunit;

namespace Aetherium.Lease.Tests;

/// <summary>One lease service and one scheduler double, shared by the tests of a class.</summary>
public sealed class LeaseFixture : IAsyncLifetime
{
    public LeaseFactory Factory { get; private set; } = null!;
    public SchedulerDouble Scheduler { get; private set; } = null!;
    public HttpClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var settings = await LeaseFactory.SettingsAsync("lease");
        // The double listens before the service sends anything, so no command is published to an unbound exchange.
        Scheduler = await SchedulerDouble.StartAsync(settings.MessagingConnectionString);
        Factory = await LeaseFactory.StartAsync(settings);
        Client = Factory.CreateClient();
    }

    public async Task DisposeAsync()
    {
        await Factory.DisposeAsync();
        await Scheduler.DisposeAsync();
    }

    public static string NewTenant(out Guid organizationId)
    {
        organizationId = Guid.NewGuid();
        return TestTokens.User(organizationId);
    }
}
