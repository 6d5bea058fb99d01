extern alias scheduler;
using System.Collections.Concurrent;
using System.CommandLine;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Aetherium.Contracts;
using Aetherium.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using scheduler::Aetherium.Scheduler.Persistence;
using SchedulerProgram = scheduler::Program;

namespace Aetherium.LoadTests;

/// <summary>
/// DESIGN §9 "placement throughput (10,000 workers) ≥ 1,000 VMs placed/s end to end through the API". Runs the
/// scheduler in-process behind a real Kestrel socket (on a real PostgreSQL and RabbitMQ), feeds it a fleet of
/// active workers the way inventory does (WorkerRegistered events on the bus), then creates M VMs through
/// POST /api/v1/vms with a tenant's token and listens on the bus for each VM's VmScheduled. Prints VMs placed/s
/// from the first POST to the last VmScheduled, the rate the API accepted them at, and POST → scheduled latency.
/// </summary>
public static class Placement
{
    public static Command Command()
    {
        var workers = new Option<int>("--workers") { Description = "Active workers the scheduler places on", DefaultValueFactory = _ => 10_000 };
        var vms = new Option<int>("--vms") { Description = "VMs created through POST /api/v1/vms", DefaultValueFactory = _ => 5_000 };
        var concurrency = new Option<int>("--concurrency") { Description = "POST requests in flight", DefaultValueFactory = _ => 32 };
        var warmup = new Option<int>("--warmup") { Description = "VMs created and placed before the measurement", DefaultValueFactory = _ => 20_000 };
        var command = new Command("placement", "VMs placed/s end to end: POST /api/v1/vms until VmScheduled, over a fleet of workers")
        {
            workers, vms, concurrency, warmup,
        };
        command.SetAction((r, ct) => RunAsync(r.GetValue(workers), r.GetValue(vms), r.GetValue(concurrency), r.GetValue(warmup), ct));
        return command;
    }

    private static async Task<int> RunAsync(int workerCount, int vmCount, int concurrency, int warmupCount, CancellationToken ct)
    {
        if (workerCount < 1 || vmCount < 1 || concurrency < 1 || warmupCount < 1)
        {
            Console.Error.WriteLine("--workers, --vms, --concurrency and --warmup must be at least 1");
            return 2;
        }
        Console.WriteLine($"placement: {vmCount} VMs over {workerCount} workers, {concurrency} POSTs in flight; " +
                          $"{Environment.ProcessorCount} cores; load average {Machine.LoadAverage()}");
        var clock = Stopwatch.StartNew();
        await SharedInfrastructure.GetAsync();
        Console.WriteLine($"PostgreSQL + RabbitMQ ready after {clock.Elapsed.TotalSeconds:0.0} s");

        var settings = await ServiceFactory<SchedulerProgram>.NewSettingsAsync("schedulerdb", "placementbench", new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = "Warning",
        });
        await using var scheduled = await BusArrivals<VmScheduled>.StartAsync(settings.MessagingConnectionString, m => m.VmId, "vm-scheduled");
        await using var unschedulable = await BusArrivals<VmUnschedulable>.StartAsync(settings.MessagingConnectionString, m => m.VmId, "vm-unschedulable");
        await using var inventory = await TestBus.StartAsync(settings.MessagingConnectionString);
        await using var service = new ServiceFactory<SchedulerProgram>(settings);
        var url = await Kestrel.StartAsync(service);
        Console.WriteLine($"scheduler started in-process at {url} after {clock.Elapsed.TotalSeconds:0.0} s");

        await RegisterFleetAsync(service, inventory, workerCount, ct);

        using var api = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency }) { BaseAddress = url };
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TestTokens.User(Guid.NewGuid()));
        // Warm-up: connection pools, the image catalog and the JIT, so that the figures are a running scheduler's. On 2
        // cores under this load the JIT's background thread takes long to bring the hot code to tier 1, and new tier-0
        // work postpones it: after 1,000 warm-up VMs it still compiled 1,600 methods during a 5,000-VM measurement (a
        // seventh of the process's CPU); after 20,000, about 130.
        var warm = await CreateAsync(api, warmupCount, concurrency, "warm", ct);
        await WaitAsync(scheduled, unschedulable, warm.Keys, TimeSpan.FromSeconds(120), ct);
        await Task.Delay(TimeSpan.FromSeconds(2), ct); // the tier-1 recompilations queued by the warm-up
        Console.WriteLine($"warm-up: {warm.Count} VMs created and scheduled; load average {Machine.LoadAverage()}");

        var cpuBefore = CpuUsage.Now();
        var jitBefore = (Methods: System.Runtime.JitInfo.GetCompiledMethodCount(), Time: System.Runtime.JitInfo.GetCompilationTime());
        var first = DateTimeOffset.UtcNow;
        var posting = Stopwatch.StartNew();
        var sent = await CreateAsync(api, vmCount, concurrency, "bench", ct);
        var accepted = posting.Elapsed;
        await WaitAsync(scheduled, unschedulable, sent.Keys, TimeSpan.FromSeconds(120 + vmCount / 100.0), ct);
        var cpuAfter = CpuUsage.Now();
        var jitMethods = System.Runtime.JitInfo.GetCompiledMethodCount() - jitBefore.Methods;
        var jitTime = System.Runtime.JitInfo.GetCompilationTime() - jitBefore.Time;

        var placedAt = sent.Keys.Select(scheduled.Received).Where(t => t is not null).Select(t => t!.Value).ToList();
        var missing = vmCount - placedAt.Count;
        var notPlaced = sent.Keys.Count(id => unschedulable.Received(id) is not null && scheduled.Received(id) is null);
        var last = placedAt.Count > 0 ? placedAt.Max() : first;
        var span = (last - first).TotalSeconds;
        Console.WriteLine();
        Console.WriteLine($"VMs placed end to end: {placedAt.Count} in {span:0.00} s from the first POST to the last VmScheduled = {placedAt.Count / Math.Max(0.001, span):0} VMs placed/s");
        Console.WriteLine($"API accepted {vmCount} POST /api/v1/vms (202) in {accepted.TotalSeconds:0.00} s = {vmCount / accepted.TotalSeconds:0} VMs/s");
        Console.WriteLine("POST /api/v1/vms answered: " + new Percentiles(sent.Values.Select(s => s.Answered)).Summary());
        Console.WriteLine("POST sent -> VmScheduled received on the bus: " + new Percentiles(sent
            .Where(kv => scheduled.Received(kv.Key) is not null)
            .Select(kv => scheduled.Received(kv.Key)!.Value - kv.Value.SentAt)).Summary());
        Console.WriteLine($"CPU from the first POST to the last VmScheduled: {cpuAfter.Since(cpuBefore)} (this process is the scheduler and the client), " +
                          $"{(cpuAfter.Total - cpuBefore.Total).TotalMilliseconds / vmCount:0.00} ms per VM; " +
                          $"the JIT compiled {jitMethods} methods meanwhile ({jitTime.TotalSeconds:0.0} s in the JIT: hot code still tiering up, which a process that has run longer no longer pays)");
        Console.WriteLine($"not scheduled: {missing} (of which unschedulable: {notPlaced}); VmScheduled duplicates: {scheduled.Duplicates}; " +
                          $"{Machine.ThisProcessMemory()}; load average {Machine.LoadAverage()}");
        return missing == 0 && scheduled.Duplicates == 0 ? 0 : 1;
    }

    /// <summary>
    /// Publishes a WorkerRegistered per worker, as inventory does when an agent registers, and waits until the
    /// scheduler holds every one as active. A mixed fleet: 8–64 cores, 3 zones, a few GPU workers, partly labelled.
    /// </summary>
    private static async Task RegisterFleetAsync(ServiceFactory<SchedulerProgram> service, TestBus inventory, int count, CancellationToken ct)
    {
        var register = Stopwatch.StartNew();
        var random = new Random(42);
        string[] zones = ["eu-west-1a", "eu-west-1b", "us-east-1a"];
        var snapshots = Enumerable.Range(0, count).Select(i =>
        {
            var id = Guid.NewGuid();
            var cpu = 8 << random.Next(4);
            var gpus = random.Next(10) == 0 ? 4 : 0;
            return new WorkerSnapshot(id, Guid.NewGuid(), $"bench-{i:D5}", $"host-{i:D5}", $"10.{i / 65536 % 256}.{i / 256 % 256}.{i % 256}",
                zones[random.Next(zones.Length)], WorkerStatus.Active,
                new Dictionary<string, string> { ["env"] = random.Next(4) == 0 ? "dev" : "prod" }, ["process", "simulated"],
                cpu, cpu * 4096L, 2000, Enumerable.Range(0, gpus).Select(g => new GpuInfo($"gpu{g}", "NVIDIA H100", 81920, 81920, 0, 40)).ToList(),
                100, 1);
        }).ToList();
        await Parallel.ForEachAsync(snapshots, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = ct },
            async (s, _) => await inventory.PublishAsync(new WorkerRegistered(s, DateTimeOffset.UtcNow)));
        var published = register.Elapsed;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120 + count / 50.0);
        int known;
        while ((known = await ActiveWorkersAsync(service, ct)) < count)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"the scheduler knows only {known} of {count} workers");
            await Task.Delay(500, ct);
        }
        Console.WriteLine($"{count} WorkerRegistered published in {published.TotalSeconds:0.0} s, all taken in by the scheduler after {register.Elapsed.TotalSeconds:0.0} s");
    }

    private static async Task<int> ActiveWorkersAsync(ServiceFactory<SchedulerProgram> service, CancellationToken ct)
    {
        await using var scope = service.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SchedulerDbContext>();
        return await db.Database.SqlQueryRaw<int>("SELECT count(*)::int AS \"Value\" FROM scheduler_workers WHERE status = 'active'").SingleAsync(ct);
    }

    private sealed record Sent(DateTimeOffset SentAt, TimeSpan Answered);

    /// <summary>Creates the VMs, keyed by the id each 202 answered with.</summary>
    private static async Task<ConcurrentDictionary<Guid, Sent>> CreateAsync(HttpClient api, int count, int concurrency, string prefix, CancellationToken ct)
    {
        var sent = new ConcurrentDictionary<Guid, Sent>();
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = ct },
            async (i, c) =>
            {
                var body = $$$"""{"name":"{{{prefix}}}-{{{i}}}","spec":{"image_id":"ubuntu-24.04","cpu_cores":1,"memory_mb":1024,"disk_gb":10}}""";
                var at = DateTimeOffset.UtcNow;
                var started = Stopwatch.GetTimestamp();
                using var response = await api.PostAsync("/api/v1/vms", new StringContent(body, Encoding.UTF8, "application/json"), c);
                var text = await response.Content.ReadAsStringAsync(c);
                var answered = Stopwatch.GetElapsedTime(started);
                if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"POST /api/v1/vms answered {(int)response.StatusCode}: {text}");
                using var json = JsonDocument.Parse(text);
                sent[json.RootElement.GetProperty("id").GetGuid()] = new Sent(at, answered);
            });
        return sent;
    }

    private static async Task WaitAsync(BusArrivals<VmScheduled> scheduled, BusArrivals<VmUnschedulable> unschedulable, ICollection<Guid> ids,
        TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (ids.Any(id => scheduled.Received(id) is null && unschedulable.Received(id) is null) && DateTime.UtcNow < deadline)
            await Task.Delay(100, ct);
    }
}
