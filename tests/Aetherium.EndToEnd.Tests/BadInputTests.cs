using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Aetherium.Testing.System;
using Xunit;
using Xunit.Abstractions;

namespace Aetherium.EndToEnd.Tests;

/// <summary>
/// Bad input through the gateway for every public route (DESIGN §5): malformed JSON, wrong types, missing and
/// oversized fields, unknown ids, other tenants' ids, huge pages. Each is answered with its precise 4xx as
/// application/problem+json, never a 500, and nothing a user could see has changed afterwards.
/// </summary>
[Collection(StoryFixture.Collection)]
public sealed class BadInputTests(StoryFixture system, ITestOutputHelper output)
{
    private const string Unknown = "0190f5a8-0000-7000-8000-000000000001";
    private static readonly string Huge = new('x', 100_000);

    private sealed record Case(string Method, string Path, string? Body, int Status, string? Token = null);

    [Fact]
    public async Task Every_route_answers_bad_input_with_its_4xx_ProblemDetails_and_changes_nothing()
    {
        var gateway = system.Gateway();
        var me = await Api.NewTenantAsync(gateway, "bad-input");
        var other = await Api.NewTenantAsync(gateway, "victim");
        var mine = system.Gateway(me.AccessToken);
        var theirs = system.Gateway(other.AccessToken);

        // What each tenant owns, to aim at: a worker, a VM and a lease.
        var myWorker = Id(await Api.ReadAsync(await mine.PostAsJsonAsync("/api/v1/workers", new { name = "mine" }), 201));
        var worker = Id(await Api.ReadAsync(await theirs.PostAsJsonAsync("/api/v1/workers", new { name = "theirs", labels = new { tier = "gold" } }), 201));
        var workerToken = (await Api.ReadAsync(await mine.PostAsJsonAsync($"/api/v1/workers/{myWorker}/token", new { }), 200))["token"]!.GetValue<string>();
        var vm = Id(await Api.ReadAsync(await theirs.PostAsJsonAsync("/api/v1/vms", new { name = "their-vm", spec = new { image_id = "ubuntu-24.04", cpu_cores = 1, memory_mb = 256 } }), 202));
        var myVm = Id(await Api.ReadAsync(await mine.PostAsJsonAsync("/api/v1/vms", new { name = "my-vm", spec = new { image_id = "ubuntu-24.04", cpu_cores = 1, memory_mb = 256 } }), 202));
        var lease = Id(await Api.ReadAsync(await theirs.PostAsJsonAsync("/api/v1/leases", new { duration_hours = 1, count = 1 }), 201));
        var myLease = Id(await Api.ReadAsync(await mine.PostAsJsonAsync("/api/v1/leases", new { duration_hours = 1, count = 1 }), 201));
        var before = await SnapshotAsync(mine, theirs, worker, vm, lease);

        Case[] cases =
        [
            // auth
            new("POST", "/api/v1/auth/signup", "{\"username\":", 400),
            new("POST", "/api/v1/auth/signup", "{\"username\":5,\"password\":true}", 400),
            new("POST", "/api/v1/auth/signup", "{}", 400),
            new("POST", "/api/v1/auth/signup", Json(new { username = Huge[..300], password = "long-enough-password" }), 400),
            new("POST", "/api/v1/auth/signup", Json(new { username = other.Username, password = "long-enough-password" }), 409),
            new("POST", "/api/v1/auth/login", "not json", 400),
            new("POST", "/api/v1/auth/login", "{}", 400),
            new("POST", "/api/v1/auth/login", Json(new { username = other.Username, password = "wrong-password-here" }), 401),
            new("POST", "/api/v1/auth/refresh", "{}", 400),
            new("POST", "/api/v1/auth/refresh", Json(new { refresh_token = "not-a-token" }), 401),
            new("POST", "/api/v1/auth/logout", "[1,2]", 400),
            new("GET", "/api/v1/auth/wallet/challenge?address=0xnothex", null, 400),
            new("GET", "/api/v1/auth/wallet/challenge", null, 400),
            new("POST", "/api/v1/auth/wallet", "{}", 400),
            new("POST", "/api/v1/auth/wallet", Json(new { address = "0x" + new string('1', 40), message = "hello", signature = "0x00" }), 400),
            new("GET", "/api/v1/users/me", null, 401, Token: "not.a.jwt"),
            new("GET", "/api/v1/users", null, 403),
            new("PUT", $"/api/v1/users/{other.UserId}/roles", Json(new { roles = new[] { "admin" } }), 403),
            // workers
            new("POST", "/api/v1/workers", "{\"name\":", 400),
            new("POST", "/api/v1/workers", "{\"name\":5}", 400),
            new("POST", "/api/v1/workers", "{}", 400),
            new("POST", "/api/v1/workers", Json(new { name = Huge[..1000] }), 400),
            new("POST", "/api/v1/workers", Json(new { name = "w", labels = "not-an-object" }), 400),
            new("POST", "/api/v1/workers", Json(new { name = "w", max_vms = -1 }), 400),
            new("GET", "/api/v1/workers?limit=1000000", null, 400),
            new("GET", "/api/v1/workers?page=-1", null, 400),
            new("GET", "/api/v1/workers?status=exploded", null, 400),
            new("GET", $"/api/v1/workers/{Unknown}", null, 404),
            new("GET", "/api/v1/workers/not-a-guid", null, 404),
            new("GET", $"/api/v1/workers/{worker}", null, 404),
            new("PUT", $"/api/v1/workers/{worker}", Json(new { name = "stolen" }), 404),
            new("DELETE", $"/api/v1/workers/{worker}", null, 404),
            new("POST", $"/api/v1/workers/{worker}/token", "{}", 404),
            new("POST", $"/api/v1/workers/{worker}/drain", "{}", 404),
            new("POST", $"/api/v1/workers/{worker}/activate", null, 404),
            new("POST", $"/api/v1/workers/{worker}/maintenance", null, 404),
            new("GET", $"/api/v1/workers/{worker}/vms", null, 404),
            new("GET", $"/api/v1/workers/{worker}/metrics", null, 404),
            new("GET", $"/api/v1/nodes/{worker}", null, 404),
            new("PUT", $"/api/v1/workers/{myWorker}", Json(new { max_vms = "many" }), 400),
            new("POST", $"/api/v1/workers/{myWorker}/drain", Json(new { deadline_seconds = 0 }), 400),
            new("POST", $"/api/v1/workers/{myWorker}/drain", "{}", 409), // pending: nothing to drain
            new("POST", $"/api/v1/workers/{myWorker}/activate", null, 409),
            new("GET", $"/api/v1/workers/{myWorker}/metrics?from=yesterday", null, 400),
            new("GET", $"/api/v1/worker-tokens?worker_id=not-a-guid", null, 400),
            new("POST", $"/api/v1/worker-tokens/{Unknown}/revoke", null, 404),
            // cluster and system
            new("GET", "/api/v1/cluster/stats", null, 401, Token: ""),
            new("GET", "/api/v1/system/stats", null, 401, Token: ""),
            // agent
            new("GET", "/api/v1/agent/connect", null, 400), // a plain GET where a WebSocket is expected
            new("POST", "/api/v1/agent/register", "{}", 401, Token: ""),
            new("POST", "/api/v1/agent/register", "{\"hostname\":", 400, Token: workerToken),
            new("POST", "/api/v1/agent/heartbeat", "{\"cpu_usage\":\"high\"}", 409, Token: workerToken), // not registered yet
            // vms
            new("POST", "/api/v1/vms", "{\"name\":", 400),
            new("POST", "/api/v1/vms", "{}", 400),
            new("POST", "/api/v1/vms", Json(new { name = "v", spec = new { image_id = "ubuntu-24.04", cpu_cores = "two" } }), 400),
            new("POST", "/api/v1/vms", Json(new { name = "v", spec = new { image_id = "ubuntu-24.04", cpu_cores = -1 } }), 400),
            new("POST", "/api/v1/vms", Json(new { name = "v", spec = new { image_id = "no-such-image" } }), 400),
            new("POST", "/api/v1/vms", Json(new { name = Huge[..1000], spec = new { image_id = "ubuntu-24.04", cpu_cores = 1 } }), 400),
            new("GET", "/api/v1/vms?limit=1000000", null, 400),
            new("GET", "/api/v1/vms?status=exploded", null, 400),
            new("GET", $"/api/v1/vms/{Unknown}", null, 404),
            new("GET", $"/api/v1/vms/{vm}", null, 404),
            new("DELETE", $"/api/v1/vms/{vm}", null, 404),
            new("POST", $"/api/v1/vms/{vm}/action", Json(new { action = "stop" }), 404),
            new("POST", $"/api/v1/vms/{myVm}/action", Json(new { action = "explode" }), 400),
            new("POST", $"/api/v1/vms/{myVm}/action", "{}", 400),
            // leases
            new("POST", "/api/v1/leases", "{\"duration_hours\":", 400),
            new("POST", "/api/v1/leases", "{}", 400),
            new("POST", "/api/v1/leases", Json(new { duration_hours = "one" }), 400),
            new("POST", "/api/v1/leases", Json(new { duration_hours = -1 }), 400),
            new("POST", "/api/v1/leases", Json(new { duration_hours = 1, count = 100_000 }), 400),
            new("POST", "/api/v1/leases", Json(new { duration_hour = 1 }), 400),
            new("POST", "/api/v1/leases", Json(new { duration_hours = 1, name = Huge[..1000] }), 400),
            new("GET", "/api/v1/leases?limit=1000000", null, 400),
            new("GET", $"/api/v1/leases/{Unknown}", null, 404),
            new("GET", $"/api/v1/leases/{lease}", null, 404),
            new("POST", $"/api/v1/leases/{lease}/extend", Json(new { additional_hours = 1 }), 404),
            new("POST", $"/api/v1/leases/{lease}/release", null, 404),
            new("POST", $"/api/v1/leases/{myLease}/extend", Json(new { additional_hours = -5 }), 400),
            new("POST", $"/api/v1/leases/{myLease}/extend", "{}", 400),
            // any route: a body over the gateway's limit
            new("POST", "/api/v1/workers", Json(new { name = "w", labels = new { big = new string('x', 2_000_000) } }), 413),
        ];

        // A large body is sent as curl sends it, after "Expect: 100-continue": the gateway refuses it from its
        // Content-Length before any of it is written (sent outright, the refusal can break the client's pipe mid-write).
        using var patient = new HttpClient(new SocketsHttpHandler { Expect100ContinueTimeout = TimeSpan.FromSeconds(30) })
        { BaseAddress = gateway.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        var wrong = new List<string>();
        foreach (var c in cases)
        {
            using var request = new HttpRequestMessage(new HttpMethod(c.Method), c.Path);
            if (c.Body is not null) request.Content = new StringContent(c.Body, Encoding.UTF8, "application/json");
            var large = c.Body is { Length: > 1_000_000 };
            if (large) request.Headers.ExpectContinue = true;
            var token = c.Token ?? me.AccessToken;
            if (token.Length > 0) request.Headers.Authorization = new("Bearer", token);
            using var response = await (large ? patient : gateway).SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            var status = (int)response.StatusCode;
            var problem = response.Content.Headers.ContentType?.MediaType == "application/problem+json";
            // A 401 challenge from JwtBearer has no body (RFC 6750's WWW-Authenticate says why); every other refusal is a ProblemDetails.
            var bodyOk = problem || (status == 401 && response.Headers.WwwAuthenticate.Count > 0);
            if (status != c.Status || !bodyOk)
                wrong.Add($"{c.Method} {c.Path[..Math.Min(c.Path.Length, 80)]} {Cut(c.Body)}: expected {c.Status}, got {status} {response.Content.Headers.ContentType} {Cut(body)}");
            if (problem) Assert.Equal(status, JsonNode.Parse(body)!["status"]!.GetValue<int>());
        }
        output.WriteLine($"{cases.Length} bad requests sent, {cases.Length - wrong.Count} answered as expected");
        Assert.True(wrong.Count == 0, string.Join('\n', wrong));

        var after = await SnapshotAsync(mine, theirs, worker, vm, lease);
        Assert.Equal(before, after);
    }

    /// <summary>What bad requests could have changed, as each tenant sees it (fields that move on their own left out).</summary>
    private static async Task<string> SnapshotAsync(HttpClient mine, HttpClient theirs, string worker, string vm, string lease)
    {
        var parts = new List<string>();
        foreach (var (http, path, list) in new[]
        {
            (mine, "/api/v1/workers", "workers"), (mine, "/api/v1/vms", "vms"), (mine, "/api/v1/leases", "leases"),
            (theirs, "/api/v1/workers", "workers"), (theirs, "/api/v1/vms", "vms"), (theirs, "/api/v1/leases", "leases"),
        })
        {
            var items = (await Api.ReadAsync(await http.GetAsync(path), 200))[list]!.AsArray();
            parts.Add($"{path}: " + string.Join(",", items.Select(i => $"{i!["id"]}:{i["name"]}").Order()));
        }
        var w = await Api.ReadAsync(await theirs.GetAsync($"/api/v1/workers/{worker}"), 200);
        parts.Add($"worker {w["name"]} {w["status"]} {w["labels"]!.ToJsonString()} {w["max_vms"]}");
        var v = await Api.ReadAsync(await theirs.GetAsync($"/api/v1/vms/{vm}"), 200);
        parts.Add($"vm {v["name"]} {v["power_state"]} {v["generation"]} {v["spec"]!.ToJsonString()}");
        var l = await Api.ReadAsync(await theirs.GetAsync($"/api/v1/leases/{lease}"), 200);
        parts.Add($"lease {l["status"]} {l["leased_until"]}");
        return string.Join('\n', parts);
    }

    private static string Id(JsonObject o) => o["id"]!.GetValue<string>();
    private static string Json(object value) => System.Text.Json.JsonSerializer.Serialize(value, Api.Json);
    private static string Cut(string? s) => s is null ? "" : s.Length > 160 ? s[..160] + "…" : s;
}
