using Aetherium.Testing;
using Xunit;

namespace Aetherium.Cli.Tests;

[Collection(CliSystem.Collection)]
public sealed class UsageTests(CliSystem system)
{
    [Fact]
    public async Task Usage_shows_the_organisations_leases_vm_hours_and_charged_cost_for_a_period()
    {
        var (shell, _) = await system.TenantShellAsync();
        using var _shell = shell;
        var rented = Expect.Success(await shell.RunAsync("leases", "rent", "--count", "2", "--cpu", "1", "--memory", "256", "--disk", "1",
            "--hours", "1", "--json")).Json();
        var id = rented["id"]!.GetValue<string>();
        var released = Expect.Success(await shell.RunAsync("leases", "release", id, "--json")).Json();
        // Released at once: one started minute charged, the rest of the hour not.
        var cost = released["cost"]!;
        Assert.Equal(1, cost["billed_minutes"]!.GetValue<int>());
        var charged = cost["charged"]!.GetValue<decimal>();
        Assert.Equal(cost["reserved"]!.GetValue<decimal>() - charged, cost["not_charged"]!.GetValue<decimal>());
        Assert.Matches(@"Charged:\s+\S+ USD for 1 started minute\(s\), \S+ USD not charged", Expect.Success(await shell.RunAsync("leases", "show", id)).Out);

        var from = DateTimeOffset.UtcNow.AddDays(-1).ToString("yyyy-MM-ddTHH:mm:ssZ");
        var to = DateTimeOffset.UtcNow.AddHours(1).ToString("yyyy-MM-ddTHH:mm:ssZ");
        var usage = Expect.Success(await shell.RunAsync("usage", "--from", from, "--to", to, "--json")).Json();
        Assert.Equal(1, usage["leases"]!["started"]!.GetValue<int>());
        Assert.Equal(1, usage["leases"]!["ended"]!.GetValue<int>());
        Assert.Equal(Math.Round(2m / 60, 6), usage["vm_hours"]!.GetValue<decimal>());
        Assert.Equal(charged, usage["cost"]!.GetValue<decimal>());

        var table = Expect.Success(await shell.RunAsync("usage", "--from", from, "--to", to)).Out;
        Assert.Matches(@"Leases:\s+1 started, 1 ended, 1 billed", table);
        Assert.Matches(@"VM-hours:\s+0\.033333", table);
        Assert.Matches(@"DAY\s+VM-HOURS\s+COST", table);

        Expect.Failure(await shell.RunAsync("usage", "--from", "2026-01-02", "--to", "2026-01-01"), 1, "(400)", "--from: must be before to");
        Expect.Failure(await shell.RunAsync("usage", "--from", "someday"), 1, "(400)", "--from: must be an ISO 8601 time");
    }
}
