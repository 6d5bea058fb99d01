using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Aetherium.AppHost;
using Aetherium.Hosting.Infrastructure;
using Aetherium.Testing.System;
using Xunit;

namespace Aetherium.EndToEnd.Tests;

public sealed partial class FailureTests
{
    /// <summary>
    /// Two real agents (process driver) of one tenant. The one running the VM is frozen (SIGSTOP) until its
    /// worker is offline and the VM runs on the other; its VM process keeps running meanwhile, as it would
    /// on a machine cut off from the network. Thawed (SIGCONT), it must stop that stale copy.
    /// </summary>
    [Fact]
    public async Task An_agent_that_comes_back_after_its_VMs_moved_away_stops_its_stale_copies()
    {
        var admin = await system.AdminAsync();
        var tenant = await TenantAsync();
        var pool = new Dictionary<string, string> { ["pool"] = Guid.NewGuid().ToString("N")[..12] };
        var gateway = system.App.GetUrl(AetheriumModel.Gateway);
        await using var first = new AgentProcess();
        await using var second = new AgentProcess();
        var agents = new Dictionary<string, AgentProcess>();
        foreach (var agent in new[] { first, second })
        {
            var worker = await Api.ReadAsync(await tenant.PostAsJsonAsync("/api/v1/workers", new { name = "real-box", zone = "eu-1", labels = pool }), 201);
            var id = worker["id"]!.GetValue<string>();
            var token = (await Api.ReadAsync(await tenant.PostAsJsonAsync($"/api/v1/workers/{id}/token", new { }), 200))["token"]!.GetValue<string>();
            await agent.StartAsync(system.App, gateway, token);
            agents[id] = agent;
        }
        foreach (var id in agents.Keys)
            await WorkerStatusAsync(tenant, id, "active", TimeSpan.FromSeconds(90));

        var lease = await Leases.RentAsync(tenant, 1, 300, pool);
        try
        {
            await FreezeAndThawAsync(admin, tenant, lease, agents);
        }
        finally
        {
            // Released, the VM stops everywhere (and leaves nothing behind for the other tests when this one failed).
            await tenant.PostAsync($"/api/v1/leases/{lease.Id}/release", null);
        }
        await InvariantAsync(admin, [lease], TimeSpan.FromSeconds(60), id => VmProcesses.Of(id).Count);
    }

    private async Task FreezeAndThawAsync(HttpClient admin, HttpClient tenant, Rented lease, Dictionary<string, AgentProcess> agents)
    {
        var running = await Leases.RunningAsync(lease, TimeSpan.FromSeconds(90));
        var vm = Leases.Vms(running).Single();
        var vmId = Guid.Parse(vm["id"]!.GetValue<string>());
        var oldWorker = vm["worker_id"]!.GetValue<string>();
        var oldPort = (await Api.ReadAsync(await admin.GetAsync($"/api/v1/vms/{vmId}"), 200))["port"]!.GetValue<int>();
        var (stale, other) = (agents[oldWorker], agents.Single(a => a.Key != oldWorker).Value);
        var stalePid = await Retry.UntilAsync(() => Task.FromResult(VmProcesses.Of(vmId) is [var p] ? p : throw new InvalidOperationException("not one process")), TimeSpan.FromSeconds(30));
        Assert.True(VmProcesses.Descends(stalePid, stale.Process.Id), "the VM runs under the agent it was placed on");

        var frozen = Stopwatch.StartNew();
        Assert.True(ChildProcess.Signal(stale.Process.Id, VmProcesses.SIGSTOP));
        try
        {
            await WorkerStatusAsync(tenant, oldWorker, "offline", TimeSpan.FromSeconds(60));
            var detected = frozen.Elapsed;
            var moved = await Retry.UntilAsync(async () =>
            {
                var v = Leases.Vms(await Leases.GetAsync(lease)).Single();
                return v["status"]!.GetValue<string>() == "running" && v["worker_id"]!.GetValue<string>() != oldWorker ? frozen.Elapsed : throw new InvalidOperationException("not moved");
            }, TimeSpan.FromSeconds(60));
            // "running" is reported once the process is started; on a loaded machine /proc may show it a moment later.
            var both = await Retry.UntilAsync(() => Task.FromResult(VmProcesses.Of(vmId) is var ps && ps.Any(p => VmProcesses.Descends(p, other.Process.Id))
                ? ps : throw new InvalidOperationException($"no copy under the other agent ({other.Process.Id}) yet: " +
                    string.Join("; ", ps.Select(VmProcesses.Chain)))), TimeSpan.FromSeconds(15));
            output.WriteLine($"agent frozen: worker offline after {detected.TotalSeconds:0.0} s (timeout {FailureSystemFixture.OfflineTimeout.TotalSeconds} s), " +
                             $"VM running on the other worker after {moved.TotalSeconds:0.0} s; {both.Count} copies run meanwhile");
            Assert.Contains(stalePid, both); // the frozen machine's copy lives on until its agent learns
            // Both agents run on this machine: the new copy must not be given the port the stale one still listens on.
            Assert.NotEqual(oldPort, (await Api.ReadAsync(await admin.GetAsync($"/api/v1/vms/{vmId}"), 200))["port"]!.GetValue<int>());
        }
        finally
        {
            ChildProcess.Signal(stale.Process.Id, VmProcesses.SIGCONT);
        }

        var thawed = Stopwatch.StartNew();
        await Retry.UntilAsync(() => Task.FromResult(VmProcesses.Of(vmId) is [var p] && VmProcesses.Descends(p, other.Process.Id) ? true : throw new InvalidOperationException("stale copy alive")), TimeSpan.FromSeconds(60));
        output.WriteLine($"agent thawed: its stale copy stopped after {thawed.Elapsed.TotalSeconds:0.0} s");
        Assert.DoesNotContain(stalePid, VmProcesses.Of(vmId));

        await WorkerStatusAsync(tenant, oldWorker, "active", TimeSpan.FromSeconds(60));
        await InvariantAsync(admin, [lease], TimeSpan.FromSeconds(60), id => VmProcesses.Of(id).Count);
    }

    private static Task<JsonObject> WorkerStatusAsync(HttpClient tenant, string id, string status, TimeSpan timeout) =>
        Retry.UntilAsync(async () =>
        {
            var w = await Api.ReadAsync(await tenant.GetAsync($"/api/v1/workers/{id}"), 200);
            return w["status"]!.GetValue<string>() == status ? w : throw new InvalidOperationException($"worker {id} is {w["status"]}");
        }, timeout);
}
