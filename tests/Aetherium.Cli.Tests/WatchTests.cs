using System.Text.Json.Nodes;
using Xunit;

namespace Aetherium.Cli.Tests;

[Collection(CliSystem.Collection)]
public sealed class WatchTests(CliSystem system)
{
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Watch_json_prints_the_snapshot_then_the_event_another_command_caused_as_JSON_lines()
    {
        var (shell, tenant) = await system.TenantShellAsync();
        using var _shell = shell;
        await using var watch = await shell.StartAsync("watch", "--json");
        var snapshot = JsonNode.Parse(await watch.WaitForLineAsync(l => l.Contains("\"snapshot\""), Soon, "the snapshot"))!;
        Assert.Equal("snapshot", snapshot["type"]!.GetValue<string>());
        Assert.Empty(snapshot["data"]!["workers"]!.AsArray());

        var id = Expect.Success(await shell.RunAsync("workers", "create", "watched", "--json")).Json()["id"]!.GetValue<string>();
        var line = await watch.WaitForLineAsync(l => l.Contains("worker.created") && l.Contains(id), Soon, "worker.created for the new worker");
        var envelope = JsonNode.Parse(line)!;
        Assert.Equal("worker.created", envelope["type"]!.GetValue<string>());
        Assert.Equal(tenant.OrganizationId.ToString(), envelope["organization_id"]!.GetValue<string>());
        Assert.Equal(id, envelope["data"]!["worker"]!["worker_id"]!.GetValue<string>());
        Assert.All(watch.Lines, l => JsonNode.Parse(l)); // every line is one JSON value

        Assert.Equal(0, await watch.InterruptAsync()); // Ctrl+C ends a watch cleanly
    }

    [Fact]
    public async Task Watch_prints_one_line_per_event_and_count_ends_it()
    {
        var (shell, _) = await system.TenantShellAsync();
        using var _shell = shell;
        await using var watch = await shell.StartAsync("watch", "--type", "vm.requested", "--count", "1");
        await watch.WaitForLineAsync(l => l.Contains("snapshot") && l.Contains("0 workers, 0 VMs, 0 leases"), Soon, "the snapshot line");

        var vm = Expect.Success(await shell.RunAsync("vms", "create", "seen-live", "--cpu", "1", "--memory", "256", "--disk", "1", "--image", "ubuntu-24.04", "--json"))
            .Json()["id"]!.GetValue<string>();
        var line = await watch.WaitForLineAsync(l => l.Contains("vm.requested"), Soon, "vm.requested");
        Assert.Matches($@"^\d\d:\d\d:\d\d  vm\.requested\s+vm={vm} .*name=seen-live", line);
        Assert.True(watch.Process.WaitForExit(10_000), "--count 1 ends the watch after the event");
        Assert.Equal(0, watch.Process.ExitCode);
        Expect.Success(await shell.RunAsync("vms", "delete", vm));
    }
}
