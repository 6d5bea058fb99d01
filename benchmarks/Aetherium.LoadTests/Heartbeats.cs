extern alias inventory;
using System.CommandLine;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Aetherium.Contracts;
using Aetherium.Testing;
using inventory::Aetherium.Inventory.Persistence;
using inventory::Aetherium.Inventory.Telemetry;
using inventory::Aetherium.Inventory.Workers;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using InventoryProgram = inventory::Program;

namespace Aetherium.LoadTests;

/// <summary>
/// DESIGN §9 "heartbeat ingestion (simulated fleet of 10,000 workers) ≥ 10,000 heartbeats/s sustained, p99 ≤ 50 ms,
/// no lost update". Runs inventory in-process behind a real Kestrel socket (on a real PostgreSQL and RabbitMQ),
/// creates N workers through POST /api/v1/workers, gives each a worker token (a real JWT the service validates,
/// signed with the test key as identity would sign it), and starts the agent's own fleet simulator
/// (`aetherium-agent simulate --tokens-file`, a child process) against it: N agents that connect over WebSockets,
/// register and heartbeat. Over a window it prints heartbeats/s handled, the service's handling latency (the
/// protocol does not acknowledge heartbeats, so from the service's own histogram), its batched writes, whether
/// every worker's newest state reached the database, and the memory of the service and of the clients.
/// </summary>
public static class Heartbeats
{
    private static readonly TimeSpan FlushInterval = TimeSpan.FromMilliseconds(500); // inventory's default

    public static Command Command()
    {
        var agents = new Option<int>("--agents") { Description = "Simulated agents (workers), one WebSocket each", DefaultValueFactory = _ => 1000 };
        var seconds = new Option<int>("--seconds") { Description = "Length of the measured window, after every agent registered", DefaultValueFactory = _ => 60 };
        var interval = new Option<int>("--heartbeat-ms")
        {
            Description = "Heartbeat interval in ms (DESIGN §11 default 10,000; shorter to reach a load: N / interval heartbeats/s)",
            DefaultValueFactory = _ => 10_000,
        };
        var concurrency = new Option<int>("--concurrency") { Description = "Requests in flight while creating the workers through the API", DefaultValueFactory = _ => 16 };
        var create = new Option<string>("--create")
        {
            Description = "api: create the workers through POST /api/v1/workers; direct: write the rows (and WorkerCreated) as that endpoint does, in batches",
            DefaultValueFactory = _ => "api",
        };
        create.AcceptOnlyFromAmong("api", "direct");
        var connects = new Option<int>("--connects-per-second")
        {
            Description = "Agents start connecting at this rate (the simulator's default is 200; a busy machine needs fewer)",
            DefaultValueFactory = _ => 50,
        };
        var command = new Command("heartbeats", "Heartbeats/s, handling latency and memory of inventory under a simulated fleet")
        {
            agents, seconds, interval, concurrency, create, connects,
        };
        command.SetAction((r, ct) => RunAsync(r.GetValue(agents), r.GetValue(seconds), r.GetValue(interval), r.GetValue(concurrency),
            r.GetValue(create) == "direct", r.GetValue(connects), ct));
        return command;
    }

    private static async Task<int> RunAsync(int count, int seconds, int intervalMs, int concurrency, bool direct, int connectsPerSecond, CancellationToken ct)
    {
        if (count < 1 || seconds < 1 || intervalMs < 10 || concurrency < 1)
        {
            Console.Error.WriteLine("--agents, --seconds and --concurrency must be at least 1, --heartbeat-ms at least 10");
            return 2;
        }
        // Each agent is a socket in both processes, beside the database and broker connections.
        if (Kestrel.OpenFilesLimit() is { } limit && limit < count + 1000)
        {
            Console.Error.WriteLine($"{count} agents need more open files than the limit of {limit}: run `ulimit -n {count + 2000}` first");
            return 2;
        }
        var interval = TimeSpan.FromMilliseconds(intervalMs);
        Console.WriteLine($"heartbeats: {count} agents, heartbeat every {intervalMs} ms (offered {count * 1000.0 / intervalMs:0} heartbeats/s), " +
                          $"{seconds} s window, agents connecting at {connectsPerSecond}/s; {Environment.ProcessorCount} cores; load average {Machine.LoadAverage()}");
        var clock = Stopwatch.StartNew();
        await SharedInfrastructure.GetAsync();
        Console.WriteLine($"PostgreSQL + RabbitMQ ready after {clock.Elapsed.TotalSeconds:0.0} s");

        var settings = await ServiceFactory<InventoryProgram>.NewSettingsAsync("inventorydb", "heartbeatbench", new Dictionary<string, string?>
        {
            // Information logging of every session would measure the console, not the service.
            ["Logging:LogLevel:Default"] = "Warning",
            ["Inventory:HeartbeatInterval"] = interval.ToString(),
            ["Inventory:PublicUrl"] = "https://cloud.example.test",
        });
        await using var service = new ServiceFactory<InventoryProgram>(settings);
        var url = await Kestrel.StartAsync(service);
        var meters = service.Services.GetRequiredService<InventoryMeters>();
        Console.WriteLine($"inventory started in-process at {url} after {clock.Elapsed.TotalSeconds:0.0} s; {Machine.ThisProcessMemory()}");

        var organization = Guid.NewGuid();
        var members = direct ? await InsertWorkersAsync(service, organization, count, ct) : await CreateWorkersAsync(url, organization, count, concurrency, ct);
        var tokens = Path.Combine(Path.GetTempPath(), $"aetherium-heartbeats-{Guid.NewGuid():N}.tokens");
        await File.WriteAllLinesAsync(tokens, members.Select(m => $"{m.Name} {TestTokens.Worker(m.Id, organization)}"), ct);
        using var fleet = StartFleet(url, tokens, intervalMs, connectsPerSecond);
        try
        {
            var registered = Stopwatch.StartNew();
            // Agents refused while the service is overwhelmed retry with their backoff (1 s doubling to 60 s).
            var timeout = TimeSpan.FromSeconds(count / (double)connectsPerSecond + 300);
            while (await ActiveAsync(service, ct) < count || meters.Sessions < count)
            {
                if (fleet.HasExited) throw new InvalidOperationException($"the fleet ended (exit code {fleet.ExitCode}) before all agents registered");
                if (registered.Elapsed > timeout)
                    throw new TimeoutException($"after {timeout.TotalSeconds:0} s only {await ActiveAsync(service, ct)} of {count} workers are active");
                await Task.Delay(1000, ct);
            }
            Console.WriteLine($"all {count} agents connected and registered (workers active) {registered.Elapsed.TotalSeconds:0.0} s after the fleet started; " +
                              $"load average {Machine.LoadAverage()}");

            // Let every agent settle into its interval (and JIT into its final code) before measuring.
            await Task.Delay(TimeSpan.FromTicks(Math.Max(interval.Ticks * 2, TimeSpan.FromSeconds(5).Ticks)), ct);
            using var handling = new MeasurementRecorder("aetherium.inventory.heartbeat.duration");
            using var flushes = new MeasurementRecorder("aetherium.inventory.telemetry.flush.duration");
            var cpuBefore = CpuUsage.Now();
            var heartbeatsBefore = meters.HeartbeatsReceived;
            var window = Stopwatch.StartNew();
            var perSecond = new List<long>();
            for (var last = heartbeatsBefore; window.Elapsed < TimeSpan.FromSeconds(seconds);)
            {
                await Task.Delay(1000, ct);
                var now = meters.HeartbeatsReceived;
                perSecond.Add(now - last);
                last = now;
            }
            var elapsed = window.Elapsed;
            var handled = meters.HeartbeatsReceived - heartbeatsBefore;
            handling.Recording = flushes.Recording = false;
            var cpuAfter = CpuUsage.Now();
            var (fresh, oldest) = await FreshnessAsync(service, interval + FlushInterval + TimeSpan.FromSeconds(1), ct);
            var sessions = meters.Sessions;
            var serviceMemory = Machine.ThisProcessMemory();
            var fleetRss = Machine.ResidentBytes(fleet.Id);

            Console.WriteLine();
            Console.WriteLine($"heartbeats handled: {handled} in {elapsed.TotalSeconds:0.0} s = {handled / elapsed.TotalSeconds:0} heartbeats/s sustained " +
                              $"(offered {count * 1000.0 / intervalMs:0}/s; slowest second {perSecond.Min()}, fastest {perSecond.Max()})");
            Console.WriteLine("handling latency, frame read -> state held in memory (service's aetherium.inventory.heartbeat.duration; heartbeats are not acknowledged): " +
                              new Percentiles(handling.Values.Select(TimeSpan.FromMilliseconds)).Summary());
            if (flushes.Values.Count > 0)
                Console.WriteLine($"batched writes to PostgreSQL every {FlushInterval.TotalMilliseconds:0} ms (aetherium.inventory.telemetry.flush.duration): " +
                                  new Percentiles(flushes.Values.Select(TimeSpan.FromMilliseconds)).Summary() +
                                  $"; a heartbeat is durable at most {FlushInterval.TotalMilliseconds:0} ms + one write after it was read");
            Console.WriteLine($"no lost update: {fresh} of {count} workers have their newest heartbeat in the database at the end of the window " +
                              $"(at most {(interval + FlushInterval + TimeSpan.FromSeconds(1)).TotalSeconds:0.0} s old; the oldest is {oldest.TotalSeconds:0.0} s old); " +
                              $"sessions open {sessions} of {count}");
            Console.WriteLine($"CPU over the window: {cpuAfter.Since(cpuBefore)} (this process is inventory; dotnet is the agents)");
            Console.WriteLine($"memory: inventory (this process) {serviceMemory}; the {count} agents (the simulate process) rss {Machine.Mib(fleetRss)}, " +
                              $"{fleetRss / 1024.0 / count:0.0} KiB per agent");
            Console.WriteLine($"load average {Machine.LoadAverage()}");
            return fresh == count && sessions == count ? 0 : 1;
        }
        finally
        {
            if (!fleet.HasExited) fleet.Kill(entireProcessTree: true);
            await fleet.WaitForExitAsync(CancellationToken.None);
            File.Delete(tokens);
        }
    }

    private sealed record Member(Guid Id, string Name);

    /// <summary>The fleet's workers, created through the API as their owner would (seed 004 step 1).</summary>
    private static async Task<Member[]> CreateWorkersAsync(Uri url, Guid organization, int count, int concurrency, CancellationToken ct)
    {
        using var api = new HttpClient { BaseAddress = url };
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TestTokens.User(organization));
        var members = new Member[count];
        var create = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = ct },
            async (i, c) =>
            {
                var name = $"bench-{i:D5}";
                using var response = await api.PostAsJsonAsync("/api/v1/workers",
                    new { name, labels = new Dictionary<string, string> { ["simulated"] = "true" } }, c);
                var body = await response.Content.ReadAsStringAsync(c);
                if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"POST /api/v1/workers answered {(int)response.StatusCode}: {body}");
                using var json = System.Text.Json.JsonDocument.Parse(body);
                members[i] = new Member(json.RootElement.GetProperty("id").GetGuid(), name);
            });
        Console.WriteLine($"created {count} workers through POST /api/v1/workers in {create.Elapsed.TotalSeconds:0.0} s ({count / create.Elapsed.TotalSeconds:0}/s)");
        return members;
    }

    /// <summary>
    /// The rows and WorkerCreated events POST /api/v1/workers writes, 500 workers a transaction, for a machine too
    /// busy to create 10,000 workers through the API in reasonable time (worker creation is not what is measured).
    /// </summary>
    private static async Task<Member[]> InsertWorkersAsync(ServiceFactory<InventoryProgram> service, Guid organization, int count, CancellationToken ct)
    {
        var insert = Stopwatch.StartNew();
        var members = new List<Member>(count);
        var owner = Guid.NewGuid();
        foreach (var chunk in Enumerable.Range(0, count).Chunk(500))
        {
            await using var scope = service.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<InventoryDbContext>();
            foreach (var i in chunk)
            {
                var now = DateTimeOffset.UtcNow;
                var worker = new Worker
                {
                    Id = ServiceDefaults.Data.NewId.Next(), OrganizationId = organization, CreatedBy = owner, Name = $"bench-{i:D5}",
                    Zone = WorkerRules.DefaultZone, Labels = new Dictionary<string, string> { ["simulated"] = "true" }, Roles = ["worker"],
                    MaxVms = WorkerRules.DefaultMaxVms, Status = WorkerStatus.Pending, StatusChangedAt = now, CreatedAt = now, UpdatedAt = now, Version = 1,
                };
                db.Workers.Add(worker);
                db.Publish(new WorkerCreated(worker.ToSnapshot(), now));
                members.Add(new Member(worker.Id, worker.Name));
            }
            await db.SaveChangesAsync(ct);
        }
        Console.WriteLine($"wrote {count} workers (rows and WorkerCreated) straight into the inventory database in {insert.Elapsed.TotalSeconds:0.0} s");
        return [.. members];
    }

    /// <summary>
    /// The agent's own fleet simulator, from the agent's build output (built by the project reference). Not a
    /// copy beside this program: the agent runs on the plain .NET runtime, and here its Hosting assemblies would
    /// be expected from the ASP.NET Core framework this program runs on.
    /// </summary>
    private static Process StartFleet(Uri url, string tokens, int intervalMs, int connectsPerSecond)
    {
        // .../benchmarks/Aetherium.LoadTests/bin/<configuration>/<framework>/ -> .../agent/bin/<configuration>/<framework>/
        var framework = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/'));
        var configuration = framework.Parent!;
        var root = configuration.Parent!.Parent!.Parent!.Parent!;
        var agent = Path.Combine(root.FullName, "agent", "bin", configuration.Name, framework.Name, "aetherium-agent.dll");
        if (!File.Exists(agent)) throw new FileNotFoundException($"the agent is not built at {agent}: build this project (it builds the agent)");
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { agent, "simulate", "--controller", url.ToString(), "--tokens-file", tokens, "--heartbeat-interval", intervalMs.ToString(),
                "--connects-per-second", connectsPerSecond.ToString() },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var fleet = Process.Start(start) ?? throw new InvalidOperationException("could not start the agent fleet");
        fleet.OutputDataReceived += (_, e) => Forward(e.Data);
        fleet.ErrorDataReceived += (_, e) => Forward(e.Data);
        fleet.BeginOutputReadLine();
        fleet.BeginErrorReadLine();
        return fleet;
    }

    /// <summary>The fleet's own progress lines; a thousand agents' reconnect warnings would drown the figures.</summary>
    private static void Forward(string? line)
    {
        if (line is not null && (line.Contains("fleet", StringComparison.Ordinal) || line.Contains("fail", StringComparison.OrdinalIgnoreCase)
                                 || line.Contains("exception", StringComparison.OrdinalIgnoreCase)))
            Console.WriteLine($"  [agents] {line.Trim()}");
    }

    /// <summary>Workers active now; -1 when the database, overwhelmed by a fleet connecting, did not answer in time.</summary>
    private static async Task<int> ActiveAsync(ServiceFactory<InventoryProgram> service, CancellationToken ct)
    {
        try
        {
            await using var scope = service.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<InventoryDbContext>();
            return await db.Workers.CountAsync(w => w.Status == WorkerStatus.Active, ct);
        }
        catch (InvalidOperationException e) when (e.InnerException is Npgsql.NpgsqlException)
        {
            return -1;
        }
    }

    /// <summary>How many workers' newest heartbeat in the database is at most <paramref name="within"/> old, and the oldest one's age.</summary>
    private static async Task<(int Fresh, TimeSpan Oldest)> FreshnessAsync(ServiceFactory<InventoryProgram> service, TimeSpan within, CancellationToken ct)
    {
        await using var scope = service.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<InventoryDbContext>();
        var now = DateTimeOffset.UtcNow;
        var cutoff = now - within;
        var fresh = await db.Workers.CountAsync(w => w.LastHeartbeatAt >= cutoff, ct);
        var oldest = await db.Workers.MinAsync(w => w.LastHeartbeatAt, ct);
        return (fresh, oldest is null ? TimeSpan.MaxValue : now - oldest.Value);
    }
}
