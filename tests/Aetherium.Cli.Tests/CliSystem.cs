using Aetherium.AppHost;
using Aetherium.Hosting;
using Aetherium.Testing.System;
using Xunit;

namespace Aetherium.Cli.Tests;

/// <summary>
/// The whole system (with its simulated fleet of 3 workers, so VMs get placed and run), heartbeats every
/// second so VM states are reported quickly. Every CLI test drives it through the gateway with the real CLI.
/// </summary>
public sealed class CliSystem : SystemFixture
{
    public const string Collection = "cli";

    protected override void Configure(DistributedApplicationBuilder builder) => builder
        .SetEnvironment(AetheriumModel.Inventory, "Inventory__HeartbeatInterval", "00:00:01")
        .SetEnvironment(AetheriumModel.Inventory, "Inventory__MetricsInterval", "00:00:02") // `workers metrics` has samples to show
        // Every test signs users up and in from one address: the gateway's per-address auth limit is raised.
        .SetEnvironment(AetheriumModel.Gateway, "Gateway__RateLimits__Auth__PermitLimit", "10000");

    public string GatewayUrl => App.GetUrl(AetheriumModel.Gateway).TrimEnd('/');

    /// <summary>A new tenant (signed up through the API, as the portal would) logged in with the CLI in a shell of its own.</summary>
    public async Task<(Shell Shell, Api.Tenant Tenant)> TenantShellAsync()
    {
        var tenant = await Api.NewTenantAsync(Gateway());
        var shell = new Shell(GatewayUrl);
        var login = await shell.RunWithInputAsync(tenant.Password + "\n", "login", "--username", tenant.Username);
        Assert.True(login.ExitCode == 0, login.ToString());
        return (shell, tenant);
    }

    /// <summary>The first admin logged in with the CLI.</summary>
    public async Task<Shell> AdminShellAsync()
    {
        var shell = new Shell(GatewayUrl);
        var login = await shell.RunWithInputAsync(AdminPassword + "\n", "login", "--username", "admin");
        Assert.True(login.ExitCode == 0, login.ToString());
        return shell;
    }
}

[CollectionDefinition(CliSystem.Collection)]
public sealed class CliCollection : ICollectionFixture<CliSystem>;
