extern alias apphost;
using System.CommandLine;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using apphost::Aetherium.AppHost;
using Aetherium.Hosting;
using Aetherium.Hosting.ApplicationModel;
using Aetherium.Testing;

namespace Aetherium.LoadTests;

/// <summary>
/// The latency the gateway adds (issue 8): the whole system started for real (the AppHost's model through the
/// testing builder: every service and the gateway as its own process, on a private PostgreSQL and RabbitMQ),
/// then one authenticated GET sent open-loop at a fixed rate, first straight to the service, then the same
/// request through the gateway. Latency is measured from when each request was due, so a stall is not hidden
/// by the client waiting (no coordinated omission).
/// </summary>
public static class GatewayLatency
{
    public static Command Command()
    {
        var rate = new Option<int>("--rate") { Description = "Requests per second, sent whether or not earlier ones were answered", DefaultValueFactory = _ => 500 };
        var duration = new Option<int>("--duration") { Description = "Seconds measured per target", DefaultValueFactory = _ => 30 };
        var warmup = new Option<int>("--warmup")
        {
            Description = "Seconds of load through the gateway before measuring: fresh processes spend their first minute recompiling hot code (the JIT thread took over a third of the CPU 40 s after start)",
            DefaultValueFactory = _ => 45,
        };
        var path = new Option<string>("--path") { Description = "The authenticated GET (inventory's)", DefaultValueFactory = _ => "/api/v1/workers?limit=20" };
        var command = new Command("gateway-latency", "p50/p99 latency and throughput of an authenticated GET through the gateway, beside the same GET straight to the service")
        {
            rate, duration, warmup, path,
        };
        command.SetAction((r, ct) => RunAsync(r.GetValue(rate), r.GetValue(duration), r.GetValue(warmup), r.GetValue(path)!, ct));
        return command;
    }

    private sealed record Outcome(string Target, Percentiles Latency, int Sent, int Ok, int Failed, double Throughput, string Errors, TimeSpan GatewayCpu, TimeSpan ServiceCpu);

    private static async Task<int> RunAsync(int rate, int seconds, int warmup, string path, CancellationToken ct)
    {
        if (rate < 1 || seconds < 1 || warmup < 0 || !path.StartsWith('/'))
        {
            Console.Error.WriteLine("--rate and --duration must be at least 1, --warmup at least 0, --path must start with /");
            return 2;
        }
        Console.WriteLine($"gateway-latency: GET {path} at {rate} req/s for {seconds} s per target; {Environment.ProcessorCount} cores; load average {Machine.LoadAverage()}");
        var clock = Stopwatch.StartNew();
        var builder = await TestApp.CreateBuilderAsync("gateway-latency", new Dictionary<string, string?>
        {
            ["Parameters:admin-password"] = "gateway-latency-admin",
            ["Parameters:fleet-size"] = "0",
        });
        AetheriumModel.Define(builder);
        foreach (var project in builder.Resources.OfType<ProjectResource>())
        {
            // Information logging of every request would measure the console, not the services.
            project.Environment["Logging__LogLevel__Default"] = "Warning";
        }
        // The gateway's per-client limit (60 req/s by default) would answer most of the load 429.
        ((ProjectResource)builder.Find(AetheriumModel.Gateway)!).Environment["Gateway__RateLimits__api__PermitLimit"] = "100000000";
        await using var app = builder.Build();
        await app.StartAsync(ct);
        Console.WriteLine($"system started after {clock.Elapsed.TotalSeconds:0.0} s (PostgreSQL, RabbitMQ, identity, inventory, scheduler, lease, gateway)");

        var gateway = new Uri(app.GetUrl(AetheriumModel.Gateway));
        var service = new Uri(app.GetUrl(AetheriumModel.Inventory));
        var token = await TenantWithWorkersAsync(gateway, 5, ct);

        using var http = new HttpClient(new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(10),
            MaxConnectionsPerServer = 1024,
        }) { Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

        int Pid(string name) => app.Instance(name).ProcessId ?? throw new InvalidOperationException($"{name} is not running");
        var pids = (Gateway: Pid(AetheriumModel.Gateway), Service: Pid(AetheriumModel.Inventory));

        foreach (var target in new[] { service, gateway })
        {
            using var probe = await http.GetAsync(new Uri(target, path), ct);
            if (probe.StatusCode != HttpStatusCode.OK)
            {
                Console.Error.WriteLine($"GET {new Uri(target, path)} answered {(int)probe.StatusCode}: {await probe.Content.ReadAsStringAsync(ct)}");
                return 1;
            }
        }
        // Warm-up of both paths (JIT, connection pools, the JWKS caches), then each measured in turn. Through the
        // gateway first: that load runs the gateway and the service, so both processes reach their steady code.
        var warming = Stopwatch.StartNew();
        if (warmup > 0) await RunAtRateAsync(http, new Uri(gateway, path), rate, warmup, ct);
        await RunAtRateAsync(http, new Uri(service, path), rate, 5, ct);
        Console.WriteLine($"warmed up for {warming.Elapsed.TotalSeconds:0} s at {rate} req/s; load average {Machine.LoadAverage()}");
        await Task.Delay(TimeSpan.FromSeconds(5), ct);
        var outcomes = new List<Outcome>();
        foreach (var (name, target) in new[] { ("straight to inventory", service), ("through the gateway", gateway) })
        {
            var cpu = (Gateway: ProcessCpu(pids.Gateway), Service: ProcessCpu(pids.Service));
            var (latencies, sent, failed, elapsed, errors) = await RunAtRateAsync(http, new Uri(target, path), rate, seconds, ct);
            outcomes.Add(new Outcome(name, new Percentiles(latencies), sent, latencies.Count, failed, latencies.Count / elapsed.TotalSeconds, errors,
                ProcessCpu(pids.Gateway) - cpu.Gateway, ProcessCpu(pids.Service) - cpu.Service));
            await Task.Delay(TimeSpan.FromSeconds(3), ct);
        }

        Console.WriteLine();
        foreach (var o in outcomes)
        {
            Console.WriteLine($"{o.Target,-22} {(o.Ok > 0 ? o.Latency.Summary() : "no request answered 200")}");
            Console.WriteLine($"{"",-22} sent {o.Sent}, 200 OK {o.Ok}, failed {o.Failed}{o.Errors}; achieved {o.Throughput:0.0} req/s; " +
                              $"CPU per request: inventory {o.ServiceCpu.TotalMilliseconds / Math.Max(1, o.Sent):0.00} ms, gateway {o.GatewayCpu.TotalMilliseconds / Math.Max(1, o.Sent):0.00} ms");
        }
        if (outcomes.Any(o => o.Ok == 0)) return 1;
        var (direct, proxied) = (outcomes[0].Latency, outcomes[1].Latency);
        Console.WriteLine($"added by the gateway: p50 +{(proxied.At(50) - direct.At(50)).TotalMilliseconds:0.0} ms, p99 +{(proxied.At(99) - direct.At(99)).TotalMilliseconds:0.0} ms, " +
                          $"max +{(proxied.Max - direct.Max).TotalMilliseconds:0.0} ms; load average {Machine.LoadAverage()}");
        return outcomes.All(o => o.Failed == 0) ? 0 : 1;
    }

    /// <summary>A tenant signed up through the gateway, owning a few workers, so the GET returns a real page.</summary>
    private static async Task<string> TenantWithWorkersAsync(Uri gateway, int workers, CancellationToken ct)
    {
        var json = new JsonSerializerOptions(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
        using var http = new HttpClient { BaseAddress = gateway };
        var username = $"bench-{Guid.NewGuid():N}"[..20];
        (await http.PostAsJsonAsync("/api/v1/auth/signup", new { username, password = "correct-horse-battery" }, json, ct)).EnsureSuccessStatusCode();
        var login = await http.PostAsJsonAsync("/api/v1/auth/login", new { username, password = "correct-horse-battery" }, json, ct);
        login.EnsureSuccessStatusCode();
        var token = JsonNode.Parse(await login.Content.ReadAsStringAsync(ct))!["access_token"]!.GetValue<string>();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        for (var i = 0; i < workers; i++)
            (await http.PostAsJsonAsync("/api/v1/workers", new { name = $"bench-{i}", zone = "eu-1" }, json, ct)).EnsureSuccessStatusCode();
        return token;
    }

    /// <summary>
    /// Request i is due at start + i/rate and sent then, however many are still in flight; its latency runs
    /// from when it was due to when its whole body was read.
    /// </summary>
    private static async Task<(List<TimeSpan> Latencies, int Sent, int Failed, TimeSpan Elapsed, string Errors)> RunAtRateAsync(
        HttpClient http, Uri url, int rate, int seconds, CancellationToken ct)
    {
        var total = rate * seconds;
        var latencies = new TimeSpan[total];
        var statuses = new int[total];
        string? firstError = null;
        var inFlight = new List<Task>(total);
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < total; i++)
        {
            var due = TimeSpan.FromSeconds((double)i / rate);
            var wait = due - clock.Elapsed;
            if (wait > TimeSpan.FromMilliseconds(1)) await Task.Delay(wait, ct);
            var n = i;
            inFlight.Add(Task.Run(async () =>
            {
                try
                {
                    using var response = await http.GetAsync(url, HttpCompletionOption.ResponseContentRead, ct);
                    statuses[n] = (int)response.StatusCode;
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                    statuses[n] = -1;
                    Interlocked.CompareExchange(ref firstError, $"{ex.GetType().Name}: {ex.Message}", null);
                }
                latencies[n] = clock.Elapsed - due;
            }, ct));
        }
        await Task.WhenAll(inFlight);
        var elapsed = clock.Elapsed;
        var ok = Enumerable.Range(0, total).Where(i => statuses[i] == (int)HttpStatusCode.OK).Select(i => latencies[i]).ToList();
        var failures = statuses.Where(s => s != 200).GroupBy(s => s).Select(g => $"{(g.Key < 0 ? "no answer" : g.Key.ToString())} x{g.Count()}").ToList();
        return (ok, total, total - ok.Count, elapsed, failures.Count == 0 ? "" : $" ({string.Join(", ", failures)}; first: {firstError})");
    }

    /// <summary>CPU time (user + system) a process used so far, from /proc.</summary>
    private static TimeSpan ProcessCpu(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return TimeSpan.FromSeconds((long.Parse(fields[11]) + long.Parse(fields[12])) / 100.0);
    }
}
