using System.Text.Json.Nodes;
using Aetherium.Testing;
using Xunit;

namespace Aetherium.Cli.Tests;

[Collection(CliSystem.Collection)]
public sealed class VmTests(CliSystem system)
{
    private static readonly string[] Small = ["--cpu", "1", "--memory", "256", "--disk", "1", "--image", "ubuntu-24.04"];

    [Fact]
    public async Task A_tenant_creates_a_VM_sees_it_run_stops_starts_restarts_and_deletes_it()
    {
        var (shell, tenant) = await system.TenantShellAsync();
        using var _shell = shell;

        var created = Expect.Success(await shell.RunAsync(["vms", "create", "web-1", .. Small, "--zone", "local-1", "--json"])).Json();
        var id = created["id"]!.GetValue<string>();
        Assert.Equal("pending", created["status"]!.GetValue<string>());
        Assert.Equal(256, created["spec"]!["memory_mb"]!.GetValue<int>());
        Assert.Equal(tenant.OrganizationId.ToString(), created["organization_id"]!.GetValue<string>());

        var running = await StatusAsync(shell, id, "running");
        var workerId = running["worker_id"]!.GetValue<string>();

        var list = Expect.Success(await shell.RunAsync("vms", "list", "--status", "running", "--json")).Json();
        Assert.Equal(id, Assert.Single(list["vms"]!.AsArray())!["id"]!.GetValue<string>());
        var onWorker = Expect.Success(await shell.RunAsync("vms", "list", "--worker", workerId, "--json")).Json();
        Assert.Contains(id, onWorker["vms"]!.AsArray().Select(v => v!["id"]!.GetValue<string>()));

        var table = Expect.Success(await shell.RunAsync("vms", "list")).Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^ID\s+NAME\s+STATUS\s+POWER\s+CPU\s+MEMORY_MB\s+IMAGE\s+WORKER\s+ADDRESS$", table[0]);
        Assert.Matches($@"^{id}\s+web-1\s+running\s+running\s+1\s+256\s+ubuntu-24\.04\s+{workerId}\s+\S+:\d+$", table[1]);
        Assert.Equal("1 VMs", table[^1]);
        var show = Expect.Success(await shell.RunAsync("vms", "show", id)).Out;
        Assert.Matches(@"Status:\s+running", show);
        Assert.Matches($@"Worker:\s+{workerId}", show);
        Assert.Matches(@"Zone:\s+local-1", show);

        var stop = Expect.Success(await shell.RunAsync("vms", "stop", id));
        Assert.Matches($@"^VM {id}: stop ordered \(status \w+, power stopped\)\.", stop.Out);
        await StatusAsync(shell, id, "stopped");
        Expect.Failure(await shell.RunAsync("vms", "stop", id), 1, "Conflict (409)", "already stopped");

        var start = Expect.Success(await shell.RunAsync("vms", "start", id, "--json")).Json();
        Assert.Equal("running", start["power_state"]!.GetValue<string>());
        await StatusAsync(shell, id, "running");

        var generation = Expect.Success(await shell.RunAsync("vms", "show", id, "--json")).Json()["generation"]!.GetValue<long>();
        var restart = Expect.Success(await shell.RunAsync("vms", "restart", id, "--json")).Json();
        Assert.Equal(generation + 1, restart["generation"]!.GetValue<long>());

        var deleted = Expect.Success(await shell.RunAsync("vms", "delete", id, "--json")).Json();
        Assert.Contains(deleted["status"]!.GetValue<string>(), new[] { "deleting", "deleted" });
        await StatusAsync(shell, id, "deleted");
        Assert.Equal(0, Expect.Success(await shell.RunAsync("vms", "list", "--json")).Json()["total"]!.GetValue<int>());
        Assert.Matches($@"^VM {id}: deleted\.", Expect.Success(await shell.RunAsync("vms", "delete", id)).Out);
    }

    [Fact]
    public async Task Another_organisations_VM_is_not_found()
    {
        var (owner, _) = await system.TenantShellAsync();
        var (stranger, _) = await system.TenantShellAsync();
        using var _o = owner;
        using var _s = stranger;
        var id = Expect.Success(await owner.RunAsync(["vms", "create", "mine", .. Small, "--json"])).Json()["id"]!.GetValue<string>();
        foreach (var command in new[] { "show", "delete", "stop" })
            Expect.Failure(await stranger.RunAsync("vms", command, id), 1, "VM not found (404)");
        Expect.Success(await owner.RunAsync("vms", "delete", id));
    }

    private static Task<JsonNode> StatusAsync(Shell shell, string id, string status) =>
        Eventually.GetAsync(async () => Expect.Success(await shell.RunAsync("vms", "show", id, "--json")).Json(),
            vm => vm["status"]!.GetValue<string>() == status, TimeSpan.FromSeconds(60), $"VM {id} becomes {status}");
}
