using System.Diagnostics;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Aetherium.AppHost;
using Aetherium.Hosting;
using Aetherium.Hosting.Infrastructure;
using Aetherium.Identity.Tests;
using Aetherium.Testing;
using Aetherium.Testing.System;
using Xunit;
using Xunit.Abstractions;

namespace Aetherium.EndToEnd.Tests;

/// <summary>The system with real agents only (no simulated fleet), heartbeats every second, offline after 4 s.</summary>
public sealed class StoryFixture : SystemFixture
{
    public const string Collection = "story";
    public static readonly TimeSpan OfflineTimeout = TimeSpan.FromSeconds(4);

    protected override void AddConfiguration(IDictionary<string, string?> configuration) => configuration["Parameters:fleet-size"] = "0";

    protected override void Configure(DistributedApplicationBuilder builder) => builder
        .SetEnvironment(AetheriumModel.Inventory, "Inventory__HeartbeatInterval", "00:00:01")
        .SetEnvironment(AetheriumModel.Inventory, "Inventory__OfflineTimeout", OfflineTimeout.ToString());
}

/// <summary>The story's system is started once for the story and the bad-input tests.</summary>
[CollectionDefinition(StoryFixture.Collection)]
public sealed class StoryCollection : ICollectionFixture<StoryFixture>;

/// <summary>
/// Issue 9's story, driven only through the gateway as a user would with curl: people sign in, a tenant enrols
/// machines with the real agent, rents VMs that really run as processes, extends and outlives the lease; a
/// machine dies and its VMs run elsewhere; a drain moves VMs off a worker and activate brings it back.
/// </summary>
[Collection(StoryFixture.Collection)]
public sealed class StoryTests(StoryFixture system, ITestOutputHelper output)
{
    private static readonly object Spec = new { cpu_cores = 1, memory_mb = 256, disk_gb = 1 };

    [Fact]
    public async Task An_admin_and_a_tenant_sign_in_with_passwords_and_a_tenant_with_a_wallet()
    {
        var gateway = system.Gateway();
        var admin = system.Gateway(await Api.AdminTokenAsync(gateway));
        var me = await Api.ReadAsync(await admin.GetAsync("/api/v1/users/me"), 200);
        Assert.Contains("admin", me["roles"]!.AsArray().Select(r => r!.GetValue<string>()));

        var tenant = await Api.NewTenantAsync(gateway);
        var tenantMe = await Api.ReadAsync(await system.Gateway(tenant.AccessToken).GetAsync("/api/v1/users/me"), 200);
        Assert.Equal(tenant.Username, tenantMe["username"]!.GetValue<string>());
        Assert.DoesNotContain("admin", tenantMe["roles"]!.AsArray().Select(r => r!.GetValue<string>()));

        // EIP-4361 challenge, signed by the wallet (EIP-191), exchanged for tokens; the account is the wallet's.
        var wallet = new TestWallet("0x" + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()) + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()));
        var challenge = await Api.ReadAsync(await gateway.GetAsync($"/api/v1/auth/wallet/challenge?address={wallet.Address}"), 200);
        var message = challenge["message"]!.GetValue<string>();
        var signedIn = await Api.ReadAsync(await gateway.PostAsJsonAsync("/api/v1/auth/wallet",
            new { address = wallet.Address, message, signature = wallet.SignMessage(message) }), 200);
        var walletMe = await Api.ReadAsync(await system.Gateway(signedIn["access_token"]!.GetValue<string>()).GetAsync("/api/v1/users/me"), 200);
        Assert.Equal(wallet.Address, walletMe["wallet_address"]!.GetValue<string>());

        // The same signature cannot sign in twice: the nonce is spent.
        var replay = await gateway.PostAsJsonAsync("/api/v1/auth/wallet", new { address = wallet.Address, message, signature = wallet.SignMessage(message) });
        Assert.Equal(401, (int)replay.StatusCode);
    }

    [Fact]
    public async Task A_tenant_enrols_machines_rents_two_VMs_that_really_run_extends_the_lease_and_sees_them_gone_when_it_expires()
    {
        var tenant = await Api.NewTenantAsync(system.Gateway());
        var http = system.Gateway(tenant.AccessToken);
        await using var first = await StartWorkerAsync(http, "story-a");
        await using var second = await StartWorkerAsync(http, "story-b");

        var stats = await Api.ReadAsync(await http.GetAsync("/api/v1/cluster/stats"), 200);
        Assert.Equal(2, stats["active_workers"]!.GetValue<int>());
        Assert.Equal(2L * Environment.ProcessorCount, stats["total_cpu_cores"]!.GetValue<long>());

        // A short lease of two VMs: both run as real processes answering on their ports.
        var rented = await Api.ReadAsync(await http.PostAsJsonAsync("/api/v1/leases", new { duration_seconds = 40, count = 2, spec = Spec }), 201);
        var leaseId = rented["id"]!.GetValue<string>();
        var vms = await RunningVmsAsync(http, leaseId, 2);
        foreach (var vm in vms) await AssertAnswersAsync(vm);
        Assert.Equal(vms.Count, vms.Select(v => v["id"]!.GetValue<string>()).Distinct().Count());
        var used = await Api.ReadAsync(await http.GetAsync("/api/v1/cluster/stats"), 200);
        Assert.Equal(2, used["used_cpu_cores"]!.GetValue<long>());
        Assert.Equal(512, used["used_memory_mb"]!.GetValue<long>());
        var lease = await Api.ReadAsync(await http.GetAsync($"/api/v1/leases/{leaseId}"), 200);
        Assert.Equal("placed", lease["placement"]!.GetValue<string>());
        Assert.All(lease["access"]!.AsArray(), a => Assert.NotNull(a!["port"]));
        // Each VM was given the account the rent answered with, its password only as a hash (a cloud-init seed).
        var password = rented["access"]![0]!["password"]!.GetValue<string>();
        foreach (var vm in vms)
        {
            var machine = new[] { first, second }.Single(m => m.WorkerId == vm["worker_id"]!.GetValue<string>());
            var userData = await File.ReadAllTextAsync(Path.Combine(machine.Agent.DataDirectory, "vms", Guid.Parse(vm["id"]!.GetValue<string>()).ToString("N"), "access", "user-data"));
            Assert.Contains($"  - name: \"{rented["access"]![0]!["username"]!.GetValue<string>()}\"", userData);
            Assert.Contains("    hashed_passwd: \"$2b$", userData);
            Assert.DoesNotContain(password, userData);
        }

        // Extend by 10 s: the end moves, the lease stays active past its first end.
        var until = rented["leased_until"]!.GetValue<DateTimeOffset>();
        var extended = await Api.ReadAsync(await http.PostAsJsonAsync($"/api/v1/leases/{leaseId}/extend", new { additional_seconds = 10 }), 200);
        var newUntil = extended["new_end_at"]!.GetValue<DateTimeOffset>();
        Assert.Equal(until.AddSeconds(10), newUntil);
        await WaitUntilAsync(until.AddSeconds(2));
        Assert.Equal("active", (await Api.ReadAsync(await http.GetAsync($"/api/v1/leases/{leaseId}"), 200))["status"]!.GetValue<string>());

        // It expires on its own: the VMs are deleted, their processes gone, the capacity freed.
        var clock = Stopwatch.StartNew();
        var ended = await Eventually.GetAsync(async () => await Api.ReadAsync(await http.GetAsync($"/api/v1/leases/{leaseId}"), 200),
            l => l["status"]!.GetValue<string>() == "expired" && l["vms"]!.AsArray().All(v => v!["status"]!.GetValue<string>() == "deleted"),
            TimeSpan.FromSeconds(60), "the lease expires and its VMs are deleted");
        output.WriteLine($"lease ended {ended["ended_at"]} (leased until {newUntil:O}); VMs deleted {clock.Elapsed.TotalSeconds:0.0} s after the end was awaited");
        Assert.True(ended["ended_at"]!.GetValue<DateTimeOffset>() >= newUntil);
        foreach (var vm in vms) await AssertSilentAsync(vm);
        var freed = await Eventually.GetAsync(async () => await Api.ReadAsync(await http.GetAsync("/api/v1/cluster/stats"), 200),
            s => s["used_cpu_cores"]!.GetValue<long>() == 0 && s["used_memory_mb"]!.GetValue<long>() == 0 && s["total_vms"]!.GetValue<int>() == 0,
            TimeSpan.FromSeconds(30), "the capacity is freed in /cluster/stats");
        Assert.Equal(2, freed["active_workers"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_dead_machines_VMs_run_again_elsewhere_a_drain_moves_VMs_off_and_activate_brings_the_worker_back()
    {
        var tenant = await Api.NewTenantAsync(system.Gateway());
        var http = system.Gateway(tenant.AccessToken);
        await using var a = await StartWorkerAsync(http, "survivor-a");
        await using var b = await StartWorkerAsync(http, "survivor-b");
        var rented = await Api.ReadAsync(await http.PostAsJsonAsync("/api/v1/leases", new { duration_hours = 1, count = 2, spec = Spec }), 201);
        var leaseId = rented["id"]!.GetValue<string>();
        var vms = await RunningVmsAsync(http, leaseId, 2);
        // Bin-packing puts both on one worker: that machine dies (agent and VMs killed at once, as a power cut).
        var victimId = Assert.Single(vms.Select(v => v["worker_id"]!.GetValue<string>()).Distinct());
        var (victim, survivor) = victimId == a.WorkerId ? (a, b) : (b, a);
        var clock = Stopwatch.StartNew();
        victim.PowerCut(vms.Select(v => v["id"]!.GetValue<string>()));

        await Eventually.TrueAsync(async () => (await Api.ReadAsync(await http.GetAsync($"/api/v1/workers/{victim.WorkerId}"), 200))["status"]!.GetValue<string>() == "offline",
            TimeSpan.FromSeconds(30), "the dead worker goes offline after the timeout");
        var detected = clock.Elapsed;
        var moved = await RunningVmsAsync(http, leaseId, 2, survivor.WorkerId);
        output.WriteLine($"dead worker detected offline after {detected.TotalSeconds:0.0} s (timeout {StoryFixture.OfflineTimeout.TotalSeconds} s); its VMs running elsewhere after {clock.Elapsed.TotalSeconds:0.0} s");
        Assert.Equal(vms.Select(v => v["id"]!.GetValue<string>()).Order(), moved.Select(v => v["id"]!.GetValue<string>()).Order());
        foreach (var vm in moved) await AssertAnswersAsync(vm);

        // The machine comes back (the same agent and token): the worker is active again, and empty.
        await victim.RestartAsync(system.App);
        await WaitForStatusAsync(http, victim.WorkerId, "active");
        Assert.Empty((await Api.ReadAsync(await http.GetAsync($"/api/v1/workers/{victim.WorkerId}/vms"), 200))["vms"]!.AsArray());

        // Drain the survivor: its VMs move back, one at a time, and it takes no new ones.
        clock.Restart();
        var drained = await Api.ReadAsync(await http.PostAsJsonAsync($"/api/v1/workers/{survivor.WorkerId}/drain", new { deadline_seconds = 600, max_parallel = 1 }), 200);
        Assert.Equal("draining", drained["status"]!.GetValue<string>());
        var back = await RunningVmsAsync(http, leaseId, 2, victim.WorkerId);
        output.WriteLine($"drain moved {back.Count} VMs off in {clock.Elapsed.TotalSeconds:0.0} s");
        foreach (var vm in back) await AssertAnswersAsync(vm);
        var stats = await Api.ReadAsync(await http.GetAsync("/api/v1/cluster/stats"), 200);
        Assert.Equal(1, stats["draining_workers"]!.GetValue<int>());
        Assert.Equal(2, stats["used_cpu_cores"]!.GetValue<long>());

        var activated = await Api.ReadAsync(await http.PostAsync($"/api/v1/workers/{survivor.WorkerId}/activate", null), 200);
        Assert.Equal("active", activated["status"]!.GetValue<string>());
        Assert.Equal(2, (await Api.ReadAsync(await http.GetAsync("/api/v1/cluster/stats"), 200))["active_workers"]!.GetValue<int>());

        await Api.ReadAsync(await http.PostAsync($"/api/v1/leases/{leaseId}/release", null), 200);
        await Eventually.TrueAsync(async () => (await Api.ReadAsync(await http.GetAsync("/api/v1/cluster/stats"), 200))["used_cpu_cores"]!.GetValue<long>() == 0,
            TimeSpan.FromSeconds(30), "released VMs free their capacity");
    }

    /// <summary>A worker created in the portal with its agent running (process driver), active with its real facts.</summary>
    private async Task<Machine> StartWorkerAsync(HttpClient http, string name)
    {
        var worker = await Api.ReadAsync(await http.PostAsJsonAsync("/api/v1/workers", new { name, zone = "story" }), 201);
        var id = worker["id"]!.GetValue<string>();
        var token = (await Api.ReadAsync(await http.PostAsJsonAsync($"/api/v1/workers/{id}/token", new { }), 200))["token"]!.GetValue<string>();
        var machine = new Machine(id, token);
        await machine.Agent.StartAsync(system.App, system.App.GetUrl(AetheriumModel.Gateway), token);
        var active = await WaitForStatusAsync(http, id, "active");
        Assert.Equal(Environment.ProcessorCount, active["cpu_cores"]!.GetValue<int>());
        return machine;
    }

    private static Task<JsonObject> WaitForStatusAsync(HttpClient http, string workerId, string status) =>
        Eventually.GetAsync(async () => await Api.ReadAsync(await http.GetAsync($"/api/v1/workers/{workerId}"), 200),
            w => w["status"]!.GetValue<string>() == status, TimeSpan.FromSeconds(60), $"worker {workerId} becomes {status}");

    /// <summary>The lease's VMs as the scheduler shows them, once all are running (on <paramref name="workerId"/> when given).</summary>
    private static async Task<List<JsonObject>> RunningVmsAsync(HttpClient http, string leaseId, int count, string? workerId = null)
    {
        var list = await Eventually.GetAsync(async () => await Api.ReadAsync(await http.GetAsync($"/api/v1/vms?lease_id={leaseId}"), 200),
            l => l["vms"]!.AsArray().Count == count && l["vms"]!.AsArray().All(v => v!["status"]!.GetValue<string>() == "running"
                && (workerId is null || v["worker_id"]!.GetValue<string>() == workerId)),
            TimeSpan.FromSeconds(90), $"{count} VMs of lease {leaseId} run{(workerId is null ? "" : " on " + workerId)}");
        return list["vms"]!.AsArray().Select(v => v!.AsObject()).ToList();
    }

    /// <summary>The VM's process answers on its address and port with a banner naming it.</summary>
    private static async Task AssertAnswersAsync(JsonObject vm)
    {
        var banner = await BannerAsync(vm);
        Assert.True(banner is not null && banner.Contains(vm["id"]!.GetValue<string>()), $"VM {vm["id"]} answers on {vm["address"]}:{vm["port"]} with its banner; got: {banner ?? "no answer"}");
    }

    private static async Task AssertSilentAsync(JsonObject vm) =>
        await Eventually.TrueAsync(async () => await BannerAsync(vm) is not { } b || !b.Contains(vm["id"]!.GetValue<string>()),
            TimeSpan.FromSeconds(30), $"VM {vm["id"]}'s process stops answering");

    private static async Task<string?> BannerAsync(JsonObject vm)
    {
        try
        {
            using var client = new TcpClient();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await client.ConnectAsync(vm["address"]!.GetValue<string>(), vm["port"]!.GetValue<int>(), timeout.Token);
            var buffer = new byte[1024];
            var read = await client.GetStream().ReadAsync(buffer, timeout.Token);
            return Encoding.UTF8.GetString(buffer, 0, read);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or IOException) { return null; }
    }

    private static async Task WaitUntilAsync(DateTimeOffset moment)
    {
        var wait = moment - DateTimeOffset.UtcNow;
        if (wait > TimeSpan.Zero) await Task.Delay(wait);
    }

    /// <summary>One enrolled machine: its worker, its token and the agent running on it.</summary>
    private sealed class Machine(string workerId, string token) : IAsyncDisposable
    {
        public string WorkerId { get; } = workerId;
        public AgentProcess Agent { get; } = new();

        /// <summary>The machine loses power: the agent and every VM process it started die at once, without a word.</summary>
        public void PowerCut(IEnumerable<string> vmIds)
        {
            Agent.Kill();
            foreach (var id in vmIds)
            foreach (var pid in VmProcesses.Of(Guid.Parse(id)))
                ChildProcess.Signal(pid, ChildProcess.SIGKILL);
        }

        /// <summary>The machine boots again: the same agent installation (token, data directory) starts anew.</summary>
        public async Task RestartAsync(DistributedApplication app)
        {
            await Agent.Process.WaitForExitAsync();
            await Agent.StartAsync(app, app.GetUrl(AetheriumModel.Gateway), token);
        }

        public ValueTask DisposeAsync() => Agent.DisposeAsync();
    }
}
