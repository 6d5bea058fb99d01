using Xunit;

namespace Aetherium.Scheduler.Tests.Integration;

/// <summary>One scheduler (and its simulated inventory) for all tests of a class; tests keep apart by zones.</summary>
public abstract class HostFixture : IAsyncLifetime
{
    private SchedulerHost? _host;

    public SchedulerHost Host => _host ?? throw new InvalidOperationException("not started");

    protected virtual IDictionary<string, string?> Settings => new Dictionary<string, string?>();

    public async Task InitializeAsync() => _host = await SchedulerHost.StartAsync(GetType().Name, Settings);

    public async Task DisposeAsync()
    {
        if (_host is not null) await _host.DisposeAsync();
    }
}

public sealed class DefaultHost : HostFixture;
