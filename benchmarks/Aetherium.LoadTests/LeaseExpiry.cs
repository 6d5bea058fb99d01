using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Aetherium.Contracts;
using Aetherium.Lease.Leases;
using Aetherium.Lease.Persistence;
using Aetherium.Lease.Pricing;
using Aetherium.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Aetherium.LoadTests;

/// <summary>
/// DESIGN §9 "lease expiry → VM deprovision ordered ≤ 1 s after the lease end". Runs the lease service
/// in-process (tests/Aetherium.Testing's ServiceFactory: the real service on a real PostgreSQL and RabbitMQ,
/// HTTP through the in-memory test server), rents N leases through POST /api/v1/leases whose ends are spread
/// evenly over a window, and listens on the bus for the DeleteVm the service sends when each one ends.
/// Prints the lag between each lease's end (its leased_until) and the arrival of its DeleteVm.
/// </summary>
public static class LeaseExpiry
{
    public static Command Command()
    {
        var leases = new Option<int>("--leases") { Description = "Active leases whose expiry is measured", DefaultValueFactory = _ => 10_000 };
        var over = new Option<double>("--over") { Description = "Seconds over which their ends are spread (0: all end at once)", DefaultValueFactory = _ => 60 };
        var concurrency = new Option<int>("--concurrency") { Description = "Rent requests in flight while creating them", DefaultValueFactory = _ => 16 };
        var insert = new Option<string>("--insert")
        {
            Description = "api: rent every lease through POST /api/v1/leases; direct: write the leases' rows straight into the lease database",
            DefaultValueFactory = _ => "api",
        };
        insert.AcceptOnlyFromAmong("api", "direct");
        var command = new Command("lease-expiry", "Lag from lease end to DeleteVm on the bus, with leases ending spread over a window")
        {
            leases, over, concurrency, insert,
        };
        command.SetAction((r, ct) => RunAsync(r.GetValue(leases), r.GetValue(over), r.GetValue(concurrency), r.GetValue(insert) == "direct", ct));
        return command;
    }

    private sealed record Rented(Guid LeaseId, Guid VmId, DateTimeOffset LeasedUntil);

    private static async Task<int> RunAsync(int count, double overSeconds, int concurrency, bool direct, CancellationToken ct)
    {
        if (count < 1 || overSeconds < 0 || concurrency < 1)
        {
            Console.Error.WriteLine("--leases and --concurrency must be at least 1, --over at least 0");
            return 2;
        }
        Console.WriteLine($"lease-expiry: {count} leases ending over {overSeconds} s, inserted {(direct ? "directly into the database" : "through the API")}; " +
                          $"{Environment.ProcessorCount} cores; load average {Machine.LoadAverage()}");
        var clock = Stopwatch.StartNew();
        await SharedInfrastructure.GetAsync();
        Console.WriteLine($"PostgreSQL + RabbitMQ ready after {clock.Elapsed.TotalSeconds:0.0} s");

        // Information logging of every rent would measure the console, not the service.
        var settings = await ServiceFactory<global::Program>.NewSettingsAsync("leasedb", "leasebench", new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = "Warning",
        });
        await using var deletes = await BusArrivals<DeleteVm>.StartAsync(settings.MessagingConnectionString, m => m.VmId, "delete-vm");
        // WebApplicationFactory finds the service's content root through a manifest it looks for in the current directory.
        Environment.CurrentDirectory = AppContext.BaseDirectory;
        await using var service = new ServiceFactory<global::Program>(settings);
        await service.WaitHealthyAsync();
        var client = service.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TestTokens.User(Guid.NewGuid()));
        // With an SSH key, as tenants normally rent: no password to hash.
        var key = "ssh-ed25519 " + Convert.ToBase64String([0, 0, 0, 11, .. "ssh-ed25519"u8, 0, 0, 0, 32, .. RandomNumberGenerator.GetBytes(32)]);
        Console.WriteLine($"lease service started in-process after {clock.Elapsed.TotalSeconds:0.0} s");

        // Warm-up: the whole path (create, expire, relay, deliver) once on a few leases, so that JIT and
        // connection pools are warm when the window is measured; it also measures how fast leases are created.
        var warmCount = Math.Clamp(count / 20, 50, 500);
        var warmClock = Stopwatch.StartNew();
        var warm = direct
            ? await InsertDirectAsync(service, warmCount, 5, ct)
            : await RentThroughApiAsync(client, key, warmCount, 5, concurrency, DateTimeOffset.UtcNow + TimeSpan.FromSeconds(10), ct);
        var createRate = warmCount / warmClock.Elapsed.TotalSeconds;
        await WaitForDeletesAsync(deletes, warm, ct);
        Console.WriteLine($"warm-up: {warmCount} leases created ({createRate:0} leases/s) and expired " +
                          $"(lag {new Percentiles(warm.Where(r => deletes.Received(r.VmId) is not null).Select(r => deletes.Received(r.VmId)!.Value - r.LeasedUntil)).Summary()})");

        // Tiered JIT keeps recompiling for a while after the warm-up: let it settle before measuring idle.
        await Task.Delay(TimeSpan.FromSeconds(20), ct);
        var idleBefore = CpuUsage.Now();
        await Task.Delay(TimeSpan.FromSeconds(10), ct);
        var idle = CpuUsage.Now().Total - idleBefore.Total;
        Console.WriteLine($"idle: {idle.TotalMilliseconds / 10:0} ms of CPU per second with nothing to do ({CpuUsage.Now().Since(idleBefore)})");

        using var commitLag = new MeasurementRecorder("aetherium.lease.expiry_lag");
        var cpuBeforeCreate = CpuUsage.Now();
        var rented = direct
            ? await InsertDirectAsync(service, count, overSeconds, ct)
            : await RentThroughApiAsync(client, key, count, overSeconds, concurrency,
                DateTimeOffset.UtcNow + TimeSpan.FromSeconds(count / createRate * 1.2 + 10), ct);
        var cpuAfterCreate = CpuUsage.Now();
        if (!direct)
            Console.WriteLine($"renting cost {(cpuAfterCreate.Total - cpuBeforeCreate.Total).TotalMilliseconds / count:0.00} ms of CPU per lease: {cpuAfterCreate.Since(cpuBeforeCreate)}");
        var cpuBeforeWindow = CpuUsage.Now();
        var windowClock = Stopwatch.StartNew();
        Console.WriteLine($"waiting for the window {rented.Min(r => r.LeasedUntil):HH:mm:ss.fff} .. {rented.Max(r => r.LeasedUntil):HH:mm:ss.fff} to pass");
        await WaitForDeletesAsync(deletes, rented, ct);
        var cpuAfterWindow = CpuUsage.Now();
        var cpuWindow = cpuAfterWindow.Total - cpuBeforeWindow.Total;
        var idleShare = TimeSpan.FromTicks(idle.Ticks / 10 * (long)windowClock.Elapsed.TotalSeconds);
        var lags = rented.Select(r => deletes.Received(r.VmId) - r.LeasedUntil).Where(l => l is not null).Select(l => l!.Value).ToList();
        var missing = count - lags.Count;
        var firstDelete = rented.Select(r => deletes.Received(r.VmId)).Where(t => t is not null).Min();
        var lastDelete = rented.Select(r => deletes.Received(r.VmId)).Where(t => t is not null).Max();
        var perSecond = rented.Select(r => deletes.Received(r.VmId)).Where(t => t is not null)
            .GroupBy(t => t!.Value.ToUnixTimeSeconds()).Max(g => g.Count());

        Console.WriteLine();
        Console.WriteLine($"lease end -> DeleteVm received on the bus: {new Percentiles(lags).Summary()}");
        if (commitLag.Values.Count > 0)
            Console.WriteLine($"lease end -> expiry committed (service's aetherium.lease.expiry_lag): {new Percentiles(commitLag.Values.Select(TimeSpan.FromSeconds)).Summary()}");
        Console.WriteLine($"within 1 s: {lags.Count(l => l <= TimeSpan.FromSeconds(1)) * 100.0 / count:0.00} %");
        Console.WriteLine($"expired {lags.Count} leases between {firstDelete:HH:mm:ss.fff} and {lastDelete:HH:mm:ss.fff}: " +
                          $"{lags.Count / Math.Max(0.001, (lastDelete!.Value - firstDelete!.Value).TotalSeconds):0} leases/s on average, {perSecond} in the busiest second " +
                          $"(ends arrived at {(overSeconds > 0 ? $"{count / overSeconds:0} per second" : "once")})");
        var perLease = (cpuWindow - idleShare).TotalMilliseconds / count;
        Console.WriteLine($"CPU over the window: {cpuAfterWindow.Since(cpuBeforeWindow)} (this process is the service and the listener); " +
                          $"less the idle rate, {perLease:0.00} ms per lease expired: a CPU-bound estimate of {2 * 1000 / Math.Max(0.001, perLease):0} leases/s on 2 idle cores");
        Console.WriteLine($"DeleteVm duplicates: {deletes.Duplicates}; missing: {missing}; load average {Machine.LoadAverage()}");
        return missing == 0 && deletes.Duplicates == 0 ? 0 : 1;
    }

    /// <summary>
    /// Rents every lease through the API, the first to end at <paramref name="firstEnd"/> and the rest spread
    /// over the window; one whose request goes out too late for its planned end is rented for the 5 s minimum.
    /// </summary>
    private static async Task<Rented[]> RentThroughApiAsync(HttpClient client, string key, int count, double overSeconds, int concurrency,
        DateTimeOffset firstEnd, CancellationToken ct)
    {
        var rented = new Rented[count];
        var late = 0;
        var create = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, count), InFlight(concurrency, ct), async (i, c) =>
        {
            var end = firstEnd + TimeSpan.FromSeconds(overSeconds * i / count);
            var seconds = (end - DateTimeOffset.UtcNow).TotalSeconds;
            if (seconds < 5) { Interlocked.Increment(ref late); seconds = 5; }
            rented[i] = await RentAsync(client, key, seconds, c);
        });
        Console.WriteLine($"rented {count} leases through POST /api/v1/leases in {create.Elapsed.TotalSeconds:0.0} s: {count / create.Elapsed.TotalSeconds:0} leases/s" +
                          (late > 0 ? $" ({late} sent too late for their planned end, rented for the 5 s minimum)" : ""));
        return rented;
    }

    private static async Task WaitForDeletesAsync(BusArrivals<DeleteVm> deletes, Rented[] rented, CancellationToken ct)
    {
        var deadline = rented.Max(r => r.LeasedUntil) + TimeSpan.FromSeconds(60);
        while (rented.Any(r => deletes.Received(r.VmId) is null) && DateTimeOffset.UtcNow < deadline)
            await Task.Delay(250, ct);
    }

    /// <summary>
    /// Writes the rows a rent writes (lease + VM; without its CreateVm and LeaseCreated, which expiry does not
    /// read) straight into the lease database, for machines where the API cannot create the leases fast enough.
    /// They are written with an end an hour away and moved into the window once all are in.
    /// </summary>
    private static async Task<Rented[]> InsertDirectAsync(ServiceFactory<global::Program> service, int count, double overSeconds, CancellationToken ct)
    {
        var insert = Stopwatch.StartNew();
        var spec = new VmSpec(1, 1024, 10, "ubuntu-24.04");
        var placeholder = Clock.Now() + TimeSpan.FromHours(1);
        var leaseIds = new Guid[count];
        var vmIds = new Guid[count];
        foreach (var chunk in Enumerable.Range(0, count).Chunk(1000))
        {
            await using var scope = service.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<LeaseDbContext>();
            var tier = await db.PricingTiers.SingleAsync(t => t.Id == PricingTier.Standard, ct);
            var hourly = Costs.Hourly(tier, spec, 1);
            foreach (var i in chunk)
            {
                var now = Clock.Now();
                var lease = new LeaseEntity
                {
                    Id = Guid.CreateVersion7(), OrganizationId = Guid.NewGuid(), UserId = Guid.NewGuid(), Name = $"bench-{i}",
                    LeasedFrom = now, LeasedUntil = placeholder, Spec = spec, TierId = tier.Id, Currency = tier.Currency,
                    HourlyCost = hourly, TotalCost = Costs.For(hourly, placeholder - now), Username = "aetherium", AuthKind = AuthKind.SshKey,
                    CreatedAt = now,
                };
                lease.Vms.Add(new LeaseVm { Id = Guid.CreateVersion7(), LeaseId = lease.Id, Index = 1, Name = $"bench-{i}-1", Status = VmStatus.Pending, UpdatedAt = now });
                db.Leases.Add(lease);
                (leaseIds[i], vmIds[i]) = (lease.Id, lease.Vms[0].Id);
            }
            await db.SaveChangesAsync(ct);
        }
        // Only now place the ends in the window, in one statement, so a slow insert cannot run into it.
        var firstEnd = Clock.Now() + TimeSpan.FromSeconds(5);
        var ends = Enumerable.Range(0, count).Select(i => firstEnd + Clock.Microseconds(TimeSpan.FromSeconds(overSeconds * i / count))).ToArray();
        await using (var scope = service.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<LeaseDbContext>();
            await db.Database.ExecuteSqlAsync(
                $"UPDATE leases SET leased_until = v.until FROM unnest({leaseIds}, {ends}) AS v(id, until) WHERE leases.id = v.id", ct);
        }
        Console.WriteLine($"inserted {count} leases (and their VMs) directly in {insert.Elapsed.TotalSeconds:0.0} s; the window opens at {firstEnd:HH:mm:ss.fff}");
        return Enumerable.Range(0, count).Select(i => new Rented(leaseIds[i], vmIds[i], ends[i])).ToArray();
    }

    private static ParallelOptions InFlight(int concurrency, CancellationToken ct) =>
        new() { MaxDegreeOfParallelism = concurrency, CancellationToken = ct };

    private static async Task<Rented> RentAsync(HttpClient client, string key, double seconds, CancellationToken ct)
    {
        var body = $$"""{"duration_seconds":{{seconds.ToString("0.######", CultureInfo.InvariantCulture)}},"ssh_public_key":"{{key}}"}""";
        using var response = await client.PostAsync("/api/v1/leases", new StringContent(body, Encoding.UTF8, "application/json"), ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"rent answered {(int)response.StatusCode}: {text}");
        using var json = JsonDocument.Parse(text);
        var root = json.RootElement;
        return new Rented(root.GetProperty("id").GetGuid(), root.GetProperty("vms")[0].GetProperty("id").GetGuid(),
            root.GetProperty("leased_until").GetDateTimeOffset());
    }
}
