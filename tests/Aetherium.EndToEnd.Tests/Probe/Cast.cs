using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Aetherium.Identity.Tests;
using Aetherium.Testing.System;

namespace Aetherium.EndToEnd.Tests.Probe;

/// <summary>Who calls: a name and a bearer token (none for anonymous).</summary>
public sealed record Principal(string Name, string? Token);

/// <summary>
/// The probe's principals — anonymous, a worker's machine token, a user of organisation A, a user of
/// organisation B, the platform admin, a service — and organisation A's resources to aim at. The identity model
/// has no organisation admin (roles: admin, user, worker, service), so "org admin" is not a principal here.
/// </summary>
public sealed class Cast
{
    public const string Password = "correct-horse-battery";
    private readonly ProbeFixture _system;
    private readonly HttpClient _a;

    private Cast(ProbeFixture system, Api.Tenant a, Api.Tenant b, string admin, string service, string workerToken, string worker, string vm, string lease)
    {
        _system = system;
        A = a;
        B = b;
        _a = system.Gateway(a.AccessToken);
        Anonymous = new("anonymous", null);
        Worker = new("worker token", workerToken);
        UserA = new("user of org A", a.AccessToken);
        UserB = new("user of org B", b.AccessToken);
        Admin = new("platform admin", admin);
        Service = new("service token", service);
        WorkerId = worker;
        VmId = vm;
        LeaseId = lease;
    }

    public Api.Tenant A { get; }
    public Api.Tenant B { get; }
    public Principal Anonymous { get; }
    public Principal Worker { get; }
    public Principal UserA { get; }
    public Principal UserB { get; }
    public Principal Admin { get; }
    public Principal Service { get; }
    public IReadOnlyList<Principal> All => [Anonymous, Worker, UserA, UserB, Admin, Service];

    /// <summary>A's registered worker, whose token the worker principal holds; A's VM and lease.</summary>
    public string WorkerId { get; }
    public string VmId { get; }
    public string LeaseId { get; }

    public static async Task<Cast> CreateAsync(ProbeFixture system, string prefix)
    {
        var gateway = system.Gateway();
        var a = await Api.NewTenantAsync(gateway, prefix + "-a");
        var b = await Api.NewTenantAsync(gateway, prefix + "-b");
        var admin = await Api.AdminTokenAsync(gateway);
        var service = await system.ServiceTokenAsync();
        var cast = new Cast(system, a, b, admin, service, "", "", "", "");
        var worker = await cast.NewWorkerAsync();
        var (token, _) = await cast.NewWorkerTokenAsync(worker);
        await cast.RegisterAsync(token);
        return new Cast(system, a, b, admin, service, token, worker, await cast.NewVmAsync(), await cast.NewLeaseAsync());
    }

    // Fresh resources of organisation A, for calls that use one up (delete, release, revoke) or change its state.

    public async Task<string> NewWorkerAsync() =>
        Id(await Api.ReadAsync(await _a.PostAsJsonAsync("/api/v1/workers", new { name = Unique("w") }, Api.Json), 201));

    public async Task<(string Token, string TokenId)> NewWorkerTokenAsync(string worker)
    {
        var issued = await Api.ReadAsync(await _a.PostAsJsonAsync($"/api/v1/workers/{worker}/token", new { }, Api.Json), 200);
        return (issued["token"]!.GetValue<string>(), issued["token_id"]!.GetValue<string>());
    }

    public async Task RegisterAsync(string workerToken)
    {
        using var agent = _system.Gateway(workerToken);
        using var content = new StringContent(RegisterBody(), System.Text.Encoding.UTF8, "application/json");
        await Api.ReadAsync(await agent.PostAsync("/api/v1/agent/register", content), 200);
    }

    public async Task<string> NewActiveWorkerAsync()
    {
        var worker = await NewWorkerAsync();
        await RegisterAsync((await NewWorkerTokenAsync(worker)).Token);
        return worker;
    }

    public async Task<string> NewVmAsync() =>
        Id(await Api.ReadAsync(await _a.PostAsJsonAsync("/api/v1/vms", VmBody(), Api.Json), 202));

    public async Task<string> NewLeaseAsync() =>
        Id(await Api.ReadAsync(await _a.PostAsJsonAsync("/api/v1/leases", new { duration_hours = 1, count = 1 }, Api.Json), 201));

    public async Task<string> RefreshTokenAsync()
    {
        var login = await Api.ReadAsync(await _system.Gateway().PostAsJsonAsync("/api/v1/auth/login", new { username = A.Username, password = Password }, Api.Json), 200);
        return login["refresh_token"]!.GetValue<string>();
    }

    /// <summary>A fresh wallet's signed challenge: the body of POST /auth/wallet.</summary>
    public async Task<string> WalletSignInAsync()
    {
        var wallet = new TestWallet("0x" + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()) + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()));
        var challenge = await Api.ReadAsync(await _system.Gateway().GetAsync($"/api/v1/auth/wallet/challenge?address={wallet.Address}"), 200);
        var message = challenge["message"]!.GetValue<string>();
        return Json(new { address = wallet.Address, message, signature = wallet.SignMessage(message) });
    }

    public static object VmBody() => new { name = Unique("vm"), spec = new { image_id = "ubuntu-24.04", cpu_cores = 1, memory_mb = 256, disk_gb = 1 } };

    public static string RegisterBody() => Json(new
    {
        hostname = Unique("host"), ip_address = "10.0.0.7", os = "linux", cpu_cores = 2, cpu_model = "probe", memory_mb = 2048,
        disk_gb = 20, gpus = Array.Empty<object>(), agent_version = "1.0.0", runtimes = new[] { "process" }, uptime_seconds = 5,
    });

    public static string HeartbeatBody() => Json(new
    {
        cpu_usage_percent = 10.5, memory_usage_percent = 20.0, disk_usage_percent = 30.0, uptime_seconds = 60, vms = Array.Empty<object>(),
    });

    public static string MetricsBody() => Json(new
    {
        cpu = new { usage_percent = 10.0, cores = 2 }, memory = new { usage_percent = 20.0, total_mb = 2048, used_mb = 400 },
        disk = new { usage_percent = 30.0, total_mb = 20480, used_mb = 6000 }, network = new { bytes_in = 100, bytes_out = 200 },
        gpus = Array.Empty<object>(),
    });

    public static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..20];
    public static string Json(object value) => JsonSerializer.Serialize(value, Api.Json);
    private static string Id(JsonObject o) => o["id"]!.GetValue<string>();
}
