using System.Text.Json.Nodes;
using Aetherium.Testing;
using Xunit;

namespace Aetherium.Cli.Tests;

[Collection(CliSystem.Collection)]
public sealed class WorkerTests(CliSystem system)
{
    [Fact]
    public async Task An_owner_creates_a_worker_lists_and_shows_it_in_tables_and_JSON()
    {
        var (shell, tenant) = await system.TenantShellAsync();
        using var _shell = shell;

        var created = Expect.Success(await shell.RunAsync("workers", "create", "rack-1", "--zone", "eu-1", "--label", "gpu=none", "--label", "tier=gold", "--max-vms", "7", "--json"));
        var worker = created.Json();
        var id = worker["id"]!.GetValue<string>();
        Assert.Equal("pending", worker["status"]!.GetValue<string>());
        Assert.Equal("eu-1", worker["zone"]!.GetValue<string>());
        Assert.Equal("gold", worker["labels"]!["tier"]!.GetValue<string>());
        Assert.Equal(7, worker["max_vms"]!.GetValue<int>());
        Assert.Equal(tenant.OrganizationId.ToString(), worker["organization_id"]!.GetValue<string>());

        var human = Expect.Success(await shell.RunAsync("workers", "create", "rack-2"));
        Assert.Matches(@"^Worker [0-9a-f-]{36} created \(pending\)\.", human.Out);
        Assert.Contains("aetherium workers token ", human.Out);

        var list = Expect.Success(await shell.RunAsync("workers", "list", "--json")).Json();
        Assert.Equal(2, list["total"]!.GetValue<int>());
        Assert.Contains(id, list["workers"]!.AsArray().Select(w => w!["id"]!.GetValue<string>()));
        var filtered = Expect.Success(await shell.RunAsync("workers", "list", "--zone", "eu-1", "--label", "tier=gold", "--json")).Json();
        Assert.Equal(id, Assert.Single(filtered["workers"]!.AsArray())!["id"]!.GetValue<string>());

        var table = Expect.Success(await shell.RunAsync("workers", "list")).Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^ID\s+NAME\s+ZONE\s+STATUS\s+HEALTHY\s+CPU\s+MEMORY_MB\s+VMS\s+LAST_SEEN$", table[0]);
        Assert.Matches($@"^{id}\s+rack-1\s+eu-1\s+pending\s+no\s+0/0\s+0/0\s+0/7\s+-$", Assert.Single(table, l => l.StartsWith(id)));
        Assert.Equal("2 workers", table[^1]);

        var show = Expect.Success(await shell.RunAsync("workers", "show", id)).Out;
        Assert.Contains($"ID:", show);
        Assert.Matches(@"Status:\s+pending", show);
        Assert.Matches(@"Labels:\s+gpu=none,tier=gold", show);
        var shownJson = Expect.Success(await shell.RunAsync("workers", "show", id, "--json")).Json();
        Assert.Equal("rack-1", shownJson["name"]!.GetValue<string>());

        // Update changes what is given and keeps the rest; the API's field errors name the options.
        var updated = Expect.Success(await shell.RunAsync("workers", "update", id, "--name", "rack-1b", "--max-vms", "9", "--json")).Json();
        Assert.Equal("rack-1b", updated["name"]!.GetValue<string>());
        Assert.Equal(9, updated["max_vms"]!.GetValue<int>());
        Assert.Equal("eu-1", updated["zone"]!.GetValue<string>());
        Assert.Equal("gold", updated["labels"]!["tier"]!.GetValue<string>());
        Assert.Matches(@"Name:\s+rack-1b", Expect.Success(await shell.RunAsync("workers", "update", id, "--zone", "eu-2")).Out);
        Expect.Failure(await shell.RunAsync("workers", "update", id, "--max-vms", "-1"), 1, "--max-vms");
        Assert.Equal(9, Expect.Success(await shell.RunAsync("workers", "show", id, "--json")).Json()["max_vms"]!.GetValue<int>());

        // Delete: the line says what happened, and the worker is gone from then on.
        var other = Assert.Single(list["workers"]!.AsArray(), w => w!["id"]!.GetValue<string>() != id)!["id"]!.GetValue<string>();
        Assert.Matches($@"^Worker {other}: deleted\.", Expect.Success(await shell.RunAsync("workers", "delete", other)).Out);
        Expect.Failure(await shell.RunAsync("workers", "show", other), 1, "not found (404)");
        Assert.Equal(1, Expect.Success(await shell.RunAsync("workers", "list", "--json")).Json()["total"]!.GetValue<int>());
    }

    [Fact]
    public async Task The_token_command_prints_the_install_script_and_an_agent_run_with_the_shown_command_becomes_active_then_drain_activate_metrics_and_maintenance()
    {
        var (shell, _) = await system.TenantShellAsync();
        using var _shell = shell;
        var id = Expect.Success(await shell.RunAsync("workers", "create", "home-server", "--json")).Json()["id"]!.GetValue<string>();

        // --json: the API's answer (token + install script) unchanged.
        var issued = Expect.Success(await shell.RunAsync("workers", "token", id, "--json")).Json();
        Assert.Equal(id, issued["worker_id"]!.GetValue<string>());
        Assert.StartsWith("#!/usr/bin/env bash", issued["install_script"]!.GetValue<string>());
        Assert.Contains($"CONTROLLER='{system.GatewayUrl}'", issued["install_script"]!.GetValue<string>());

        var script = Expect.Success(await shell.RunAsync("workers", "token", id, "--script")).Out;
        Assert.StartsWith("#!/usr/bin/env bash", script);
        Assert.Contains($"# Worker ID: {id}", script);
        Assert.DoesNotContain("Token:", script);

        var shown = Expect.Success(await shell.RunAsync("workers", "token", id)).Out;
        var token = Assert.Single(shown.Split('\n'), l => l.StartsWith("Token:"))["Token:".Length..].Trim();
        Assert.Contains($"TOKEN='{token}'", shown); // the script below carries the same token
        // The commands to run the agent by hand work as printed on a machine without the agent (they fetch it),
        // and the token is never an argument (visible to every user in ps).
        var byHand = shown.Split('\n').SkipWhile(l => !l.StartsWith("or run the agent by hand")).Skip(1)
            .TakeWhile(l => l.StartsWith("  ")).Select(l => l.Trim()).ToList();
        Assert.Equal(3, byHand.Count);
        Assert.Equal($"export AETHERIUM_TOKEN='{token}'", byHand[0]);
        Assert.DoesNotContain(token, byHand[1] + byHand[2]);
        Assert.EndsWith($"run --controller '{system.GatewayUrl}'", byHand[2]);

        await using var agent = new AgentRun();
        await agent.StartAsync(string.Join('\n', byHand));
        await Eventually.TrueAsync(async () =>
            Expect.Success(await shell.RunAsync("workers", "show", id, "--json")).Json()["status"]!.GetValue<string>() == "active",
            TimeSpan.FromSeconds(90), $"the worker becomes active once its agent runs; agent said:\n{agent.Output}");

        var drained = Expect.Success(await shell.RunAsync("workers", "drain", id, "--deadline-seconds", "600", "--max-parallel", "2", "--json")).Json();
        Assert.Equal("draining", drained["status"]!.GetValue<string>());
        Assert.Equal("draining", Expect.Success(await shell.RunAsync("workers", "show", id, "--json")).Json()["status"]!.GetValue<string>());
        // Draining again only moves the deadline; the table line says where it stands.
        Assert.Matches($@"^Worker {id}: draining\.", Expect.Success(await shell.RunAsync("workers", "drain", id)).Out);

        var activated = Expect.Success(await shell.RunAsync("workers", "activate", id));
        Assert.Matches($@"^Worker {id}: active\.", activated.Out);
        Assert.Equal("active", Expect.Success(await shell.RunAsync("workers", "show", id, "--json")).Json()["status"]!.GetValue<string>());

        // Activating an active worker is refused by the API: its 409 in one line.
        Expect.Failure(await shell.RunAsync("workers", "activate", id), 1, "(409)");

        // The agent's usage samples, as a table and as JSON.
        var metrics = await Eventually.GetAsync(async () => Expect.Success(await shell.RunAsync("workers", "metrics", id, "--json")).Json(),
            m => m["samples"]!.AsArray().Count > 0, TimeSpan.FromSeconds(30), "the agent has sent metrics");
        Assert.Equal(id, metrics["worker_id"]!.GetValue<string>());
        var samples = Expect.Success(await shell.RunAsync("workers", "metrics", id, "--limit", "1")).Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^TIME\s+CPU_%\s+MEMORY_%\s+DISK_%$", samples[0]);
        Assert.Matches(@"^\d{4}-\d\d-\d\d.*\s+[\d.]+\s+[\d.]+\s+[\d.]+$", samples[1]);
        Assert.StartsWith("1 samples", samples[^1]);
        Expect.Failure(await shell.RunAsync("workers", "metrics", id, "--from", "yesterday"), 1, "--from");

        // Maintenance takes it out of service until it is activated again.
        Assert.Matches($@"^Worker {id}: maintenance\.", Expect.Success(await shell.RunAsync("workers", "maintenance", id)).Out);
        Assert.Equal("maintenance", Expect.Success(await shell.RunAsync("workers", "show", id, "--json")).Json()["status"]!.GetValue<string>());
        Expect.Failure(await shell.RunAsync("workers", "maintenance", id), 1, "(409)");
        Assert.Matches($@"^Worker {id}: active\.", Expect.Success(await shell.RunAsync("workers", "activate", id)).Out);
    }

    [Fact]
    public async Task Another_organisations_worker_is_not_found()
    {
        var (owner, _) = await system.TenantShellAsync();
        var (stranger, _) = await system.TenantShellAsync();
        using var _o = owner;
        using var _s = stranger;
        var id = Expect.Success(await owner.RunAsync("workers", "create", "private-box", "--json")).Json()["id"]!.GetValue<string>();
        Expect.Failure(await stranger.RunAsync("workers", "show", id), 1, "not found (404)");
        Expect.Failure(await stranger.RunAsync("workers", "token", id), 1, "(404)");
        Assert.Equal(0, Expect.Success(await stranger.RunAsync("workers", "list", "--json")).Json()["total"]!.GetValue<int>());
    }
}
