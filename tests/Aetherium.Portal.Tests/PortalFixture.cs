using Aetherium.AppHost;
using Aetherium.Hosting;
using Aetherium.Testing.System;

namespace Aetherium.Portal.Tests;

/// <summary>
/// The whole system, with a simulated fleet of two workers (zone local-1, the admin's) for tenants' VMs to run
/// on; heartbeats every second, offline after 4 s, metrics every 2 s, so the portal has something to show soon.
/// </summary>
public sealed class PortalFixture : SystemFixture
{
    public const int FleetSize = 2;
    public const string FleetZone = "local-1";

    protected override void AddConfiguration(IDictionary<string, string?> configuration) =>
        configuration["Parameters:fleet-size"] = FleetSize.ToString();

    protected override void Configure(DistributedApplicationBuilder builder) => builder
        .SetEnvironment(AetheriumModel.Inventory, "Inventory__HeartbeatInterval", "00:00:01")
        .SetEnvironment(AetheriumModel.Inventory, "Inventory__MetricsInterval", "00:00:02")
        .SetEnvironment(AetheriumModel.Inventory, "Inventory__OfflineTimeout", "00:00:04");

    public string Url => App.GetUrl(AetheriumModel.Gateway);
}

[Xunit.CollectionDefinition(Name)]
public sealed class PortalCollection : Xunit.ICollectionFixture<PortalFixture>
{
    public const string Name = "portal";
}
