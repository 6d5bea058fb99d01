using System.Diagnostics;
using System.Text.Json.Nodes;
using Aetherium.Testing.System;
using Xunit.Sdk;

namespace Aetherium.EndToEnd.Tests;

/// <summary>
/// What must hold once a failure is over, checked through the gateway: no VM lost (every VM a lease asked
/// for exists, running while the lease is active, deleted once it ended), none duplicated (the scheduler
/// holds exactly the VMs asked for, each VM is in one worker's set only, and, for real agents, runs as
/// one process), no capacity leaked (the scheduler's allocation of each worker and inventory's cluster
/// figures equal the specs of the VMs placed there), and every lease in a final state matching its time.
/// </summary>
public static class Invariants
{
    /// <summary>States a VM passes through; once a failure is over, no VM of anyone's may stay in one.</summary>
    private static readonly string[] Transient = ["pending", "scheduled", "provisioning", "migrating", "deleting"];
    private static readonly string[] InWorkerSet = ["scheduled", "provisioning", "running", "stopped", "failed"];

    /// <summary>
    /// Waits until the invariant holds (the system may still be converging after a failure); fails with every
    /// violation seen last when it does not within <paramref name="timeout"/>. Returns how long it took.
    /// </summary>
    /// <param name="processes">For VMs run by real agents: the OS processes running a VM id.</param>
    public static async Task<TimeSpan> AssertAsync(HttpClient admin, IReadOnlyCollection<Rented> leases, TimeSpan timeout,
        Func<Guid, int>? processes = null)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            List<string> violations;
            try { violations = await ViolationsAsync(admin, leases, processes); }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or XunitException)
            {
                violations = [$"the API failed: {ex.Message}"];
            }
            if (violations.Count == 0) return clock.Elapsed;
            if (clock.Elapsed > timeout)
                throw new XunitException($"The invariant did not hold within {timeout.TotalSeconds} s:\n  " + string.Join("\n  ", violations));
            await Task.Delay(500);
        }
    }

    public static async Task<List<string>> ViolationsAsync(HttpClient admin, IReadOnlyCollection<Rented> leases, Func<Guid, int>? processes)
    {
        var problems = new List<string>();
        var vms = (await ListAsync(admin, "/api/v1/vms?", "vms")).ToDictionary(v => Id(v));
        var workers = (await ListAsync(admin, "/api/v1/scheduler/workers?", "workers")).ToDictionary(w => Id(w));

        foreach (var lease in leases)
        {
            var l = await Leases.GetAsync(lease);
            var status = l["status"]!.GetValue<string>();
            var until = l["leased_until"]!.GetValue<DateTimeOffset>();
            var leaseVms = Leases.Vms(l).ToList();
            if (leaseVms.Count != lease.Count) problems.Add($"lease {lease.Id}: {leaseVms.Count} VMs, asked for {lease.Count}");
            var known = leaseVms.Select(v => Id(v)).ToHashSet();
            foreach (var extra in vms.Values.Where(v => v["lease_id"]?.GetValue<string>() == lease.Id.ToString() && !known.Contains(Id(v))))
                problems.Add($"lease {lease.Id}: the scheduler holds VM {Id(extra)} for it, which the lease does not know (duplicated)");

            var ended = status is "expired" or "released";
            if (status == "active" && DateTimeOffset.UtcNow > until + TimeSpan.FromSeconds(2))
                problems.Add($"lease {lease.Id}: still active {(DateTimeOffset.UtcNow - until).TotalSeconds:0.0} s after its end");
            if (status == "expired" && l["ended_at"]!.GetValue<DateTimeOffset>() < until)
                problems.Add($"lease {lease.Id}: expired at {l["ended_at"]} before its end {until:O}");
            if (status is not ("active" or "expired" or "released")) problems.Add($"lease {lease.Id}: status {status}");

            foreach (var vm in leaseVms)
            {
                var id = Id(vm);
                var expected = ended ? "deleted" : "running";
                var seen = vm["status"]!.GetValue<string>();
                if (seen != expected) problems.Add($"lease {lease.Id} ({status}): VM {id} is {seen}, not {expected}");
                // Deleted VMs are not listed: asked for one by one (a tombstone left by an early DeleteVm names no lease).
                var scheduled = vms.GetValueOrDefault(id) ?? await VmAsync(admin, id);
                if (scheduled is null) { problems.Add($"VM {id} of lease {lease.Id} is unknown to the scheduler (lost)"); continue; }
                var schedulerStatus = scheduled["status"]!.GetValue<string>();
                if (schedulerStatus != expected) problems.Add($"VM {id}: the scheduler says {schedulerStatus}, the lease ({status}) needs {expected}");
                if (expected == "running")
                {
                    var worker = scheduled["worker_id"]?.GetValue<string>();
                    if (worker is null || !workers.TryGetValue(Guid.Parse(worker), out var w)) problems.Add($"VM {id} runs on no known worker");
                    else if (w["status"]!.GetValue<string>() != "active") problems.Add($"VM {id} is on worker {worker}, which is {w["status"]}");
                }
                if (processes is not null)
                {
                    var running = processes(id);
                    var want = expected == "running" ? 1 : 0;
                    if (running != want) problems.Add($"VM {id} ({expected}) runs as {running} processes, not {want}");
                }
            }
        }

        foreach (var vm in vms.Values.Where(v => Transient.Contains(v["status"]!.GetValue<string>())))
            problems.Add($"VM {Id(vm)} is still {vm["status"]} ({vm["status_reason"]})");

        // Capacity: each worker's allocation is the sum of the VMs in its set, and inventory's figures agree.
        var placed = vms.Values.Where(v => InWorkerSet.Contains(v["status"]!.GetValue<string>()) && v["worker_id"] is not null)
            .GroupBy(v => Guid.Parse(v["worker_id"]!.GetValue<string>())).ToDictionary(g => g.Key, g => g.ToList());
        long allocatedCpu = 0, allocatedMemory = 0, allocatedVms = 0;
        foreach (var (id, w) in workers)
        {
            var allocated = w["allocated"]!;
            var mine = placed.GetValueOrDefault(id) ?? [];
            var (cpu, memory, count) = (allocated["cpu_cores"]!.GetValue<long>(), allocated["memory_mb"]!.GetValue<long>(), allocated["vms"]!.GetValue<long>());
            allocatedCpu += cpu; allocatedMemory += memory; allocatedVms += count;
            var (wantCpu, wantMemory) = (mine.Sum(v => v["spec"]!["cpu_cores"]!.GetValue<long>()), mine.Sum(v => v["spec"]!["memory_mb"]!.GetValue<long>()));
            if (cpu != wantCpu || memory != wantMemory || count != mine.Count)
                problems.Add($"worker {id} ({w["name"]}): allocated {cpu} cores / {memory} MB / {count} VMs, its VMs need {wantCpu} / {wantMemory} / {mine.Count}");
        }
        var stats = await Api.ReadAsync(await admin.GetAsync("/api/v1/cluster/stats"), 200);
        if (stats["used_cpu_cores"]!.GetValue<long>() != allocatedCpu || stats["used_memory_mb"]!.GetValue<long>() != allocatedMemory
            || stats["total_vms"]!.GetValue<long>() != allocatedVms)
            problems.Add($"cluster/stats uses {stats["used_cpu_cores"]} cores / {stats["used_memory_mb"]} MB / {stats["total_vms"]} VMs, the scheduler allocated {allocatedCpu} / {allocatedMemory} / {allocatedVms}");

        // Duplicates: a VM is in one worker's set at most, the one the scheduler placed it on.
        var distribution = await Api.ReadAsync(await admin.GetAsync("/api/v1/cluster/distribution"), 200);
        var where = new Dictionary<Guid, List<Guid>>();
        foreach (var entry in distribution["distribution"]!.AsArray())
        {
            var worker = Id(entry!, "worker_id");
            foreach (var vm in entry!["vms"]!.AsArray())
            {
                var id = Id(vm!);
                (where.TryGetValue(id, out var list) ? list : where[id] = []).Add(worker);
                if (vms.GetValueOrDefault(id) is { } v && v["status"]!.GetValue<string>() == "running" && vm!["status"]!.GetValue<string>() != "running")
                    problems.Add($"VM {id}: its agent on {worker} reports {vm["status"]}, the scheduler says running");
            }
        }
        foreach (var id in where.Keys.Where(id => !vms.ContainsKey(id)))
            problems.Add($"VM {id} is deleted but still in the set of {string.Join(", ", where[id])}");
        foreach (var (id, on) in where.Where(p => p.Value.Count > 1))
            problems.Add($"VM {id} is in the sets of {on.Count} workers: {string.Join(", ", on)}");
        foreach (var (worker, list) in placed)
            foreach (var vm in list.Where(v => !(where.GetValueOrDefault(Id(v))?.Contains(worker) ?? false)))
                problems.Add($"VM {Id(vm)} is placed on {worker} but not in that worker's set at inventory");
        return problems;
    }

    private static async Task<JsonNode?> VmAsync(HttpClient admin, Guid id)
    {
        using var response = await admin.GetAsync($"/api/v1/vms/{id}");
        return response.StatusCode == System.Net.HttpStatusCode.NotFound ? null : await Api.ReadAsync(response, 200);
    }

    private static Guid Id(JsonNode node, string field = "id") => Guid.Parse(node[field]!.GetValue<string>());

    /// <summary>Every page of a list route.</summary>
    private static async Task<List<JsonNode>> ListAsync(HttpClient http, string route, string field)
    {
        var all = new List<JsonNode>();
        for (var page = 1; ; page++)
        {
            var body = await Api.ReadAsync(await http.GetAsync($"{route}limit=500&page={page}"), 200);
            var items = body[field]!.AsArray().Select(n => n!.DeepClone()).ToList();
            all.AddRange(items);
            if (items.Count < 500) return all;
        }
    }
}
