using Xunit;

namespace Aetherium.Cli.Tests;

[Collection(CliSystem.Collection)]
public sealed class ClusterTests(CliSystem system)
{
    [Fact]
    public async Task An_admin_sees_the_fleets_stats_and_a_tenant_its_own_workers_only()
    {
        using var admin = await system.AdminShellAsync();
        // The simulated fleet's three workers, all active, in zone local-1.
        var stats = await Testing.Eventually.GetAsync(async () => Expect.Success(await admin.RunAsync("cluster", "stats", "--json")).Json(),
            s => s["active_workers"]!.GetValue<int>() >= 3, TimeSpan.FromSeconds(60), "the fleet is active");
        Assert.True(stats["zones"]!["local-1"]!.GetValue<int>() >= 3);
        Assert.True(stats["total_cpu_cores"]!.GetValue<long>() > 0);
        Assert.Equal(stats["total_cpu_cores"]!.GetValue<long>() - stats["used_cpu_cores"]!.GetValue<long>(), stats["available_cpu_cores"]!.GetValue<long>());

        var table = Expect.Success(await admin.RunAsync("cluster", "stats")).Out;
        Assert.Matches(@"Workers:\s+\d+ \(\d+ active, \d+ draining, \d+ offline, \d+ pending, \d+ maintenance\)", table);
        Assert.Matches(@"CPU cores:\s+\d+ used of \d+", table);
        Assert.Matches(@"Zones:\s+.*local-1=\d+", table);

        var (tenant, _) = await system.TenantShellAsync();
        using var _tenant = tenant;
        Expect.Success(await tenant.RunAsync("workers", "create", "solo", "--zone", "home"));
        var own = Expect.Success(await tenant.RunAsync("cluster", "stats", "--json")).Json();
        Assert.Equal(1, own["total_workers"]!.GetValue<int>());
        Assert.Equal(1, own["pending_workers"]!.GetValue<int>());
        Assert.Equal(1, own["zones"]!["home"]!.GetValue<int>());

        // Distribution: which VMs run where; the tenant sees its one worker, the admin the fleet.
        var mine = Expect.Success(await tenant.RunAsync("cluster", "distribution", "--json")).Json();
        var entry = Assert.Single(mine["distribution"]!.AsArray())!;
        Assert.Equal("solo", entry["name"]!.GetValue<string>());
        Assert.Equal(0, entry["vm_count"]!.GetValue<int>());
        var fleet = Expect.Success(await admin.RunAsync("cluster", "distribution")).Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^WORKER\s+NAME\s+ZONE\s+STATUS\s+VMS\s+VM_NAMES$", fleet[0]);
        Assert.True(fleet.Count(l => l.Contains(" local-1 ")) >= 3, string.Join('\n', fleet));
        Assert.Matches(@"^\d+ workers$", fleet[^1]);
    }
}
