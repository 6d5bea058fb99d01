using System.Security.Claims;
using Aetherium.Contracts;
using Aetherium.Inventory.Agents;
using Aetherium.Inventory.Persistence;
using Aetherium.Inventory.Telemetry;
using Aetherium.Inventory.Workers;
using Aetherium.ServiceDefaults.Auth;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Aetherium.Inventory.Cluster;

public sealed record ClusterStats(
    int TotalWorkers, int ActiveWorkers, int DrainingWorkers, int OfflineWorkers,
    long TotalCpuCores, long TotalMemoryMb, long UsedCpuCores, long UsedMemoryMb, long AvailableCpuCores, long AvailableMemoryMb,
    double ClusterCpuUsagePercent, double ClusterMemoryUsagePercent, int TotalVms, long MaxVms, long AvailableVmSlots,
    IReadOnlyDictionary<string, int> Zones,
    int PendingWorkers, int InstallingWorkers, int MaintenanceWorkers, int HealthyWorkers,
    long TotalDiskGb, long UsedDiskGb, int TotalGpus, double CpuAllocationPercent, double MemoryAllocationPercent);

public sealed record DistributionEntry(Guid WorkerId, string? Hostname, string Zone, int VmCount, IReadOnlyList<WorkerVm> Vms, string Name, string Status);

public sealed record ClusterDistribution(IReadOnlyList<DistributionEntry> Distribution, int TotalWorkers);

public sealed record ReplicaStats(string ControllerId, string ServerVersion, int AgentSessions, long HeartbeatsReceived, int PendingHeartbeatWrites);

public sealed record SystemStats(
    int TotalWorkers, IReadOnlyDictionary<string, int> WorkersByStatus, int HealthyWorkers, int ConnectedAgents,
    long TotalCpuCores, long TotalMemoryMb, long TotalDiskGb, int TotalGpus, int TotalVms,
    IReadOnlyDictionary<string, int> VmsByState, ReplicaStats Replica, DateTimeOffset GeneratedAt);

/// <summary>
/// Seed 003's cluster views, plus /system/stats. Users see the figures of their organisation's workers,
/// admins of the whole fleet. Percentages of usage are the mean of what agents report (seed 003:
/// "average CPU usage across all workers"); *_allocation_percent is what the scheduler reserved.
/// </summary>
public static class ClusterEndpoints
{
    public static void MapCluster(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/cluster/stats", Stats).RequireAuthorization(AuthenticationSetup.TenantPolicy);
        app.MapGet("/api/v1/cluster/distribution", Distribution).RequireAuthorization(AuthenticationSetup.TenantPolicy);
        app.MapGet("/api/v1/system/stats", System).RequireAuthorization(AuthenticationSetup.TenantPolicy);
    }

    private sealed record Row(string Status, string Zone, int CpuCores, long MemoryMb, long DiskGb, List<GpuInfo> Gpus, int MaxVms,
        double Cpu, double Memory, DateTimeOffset? LastHeartbeatAt, Guid? SessionId, int UsedCpu, long UsedMemory, long UsedDisk, int Vms);

    private static Task<List<Row>> RowsAsync(InventoryDbContext db, ClaimsPrincipal user, CancellationToken ct) =>
        db.Workers.AsNoTracking().Visible(user)
            .Select(w => new Row(w.Status, w.Zone, w.CpuCores, w.MemoryMb, w.DiskGb, w.Gpus, w.MaxVms, w.CpuUsagePercent, w.MemoryUsagePercent,
                w.LastHeartbeatAt, w.SessionId,
                w.Desired == null ? 0 : w.Desired.UsedCpuCores, w.Desired == null ? 0 : w.Desired.UsedMemoryMb,
                w.Desired == null ? 0 : w.Desired.UsedDiskGb, w.Desired == null ? 0 : w.Desired.VmCount))
            .ToListAsync(ct);

    private static bool Healthy(Row r, DateTimeOffset now, TimeSpan timeout) =>
        r.Status is not (WorkerStatus.Pending or WorkerStatus.Offline) && r.LastHeartbeatAt is { } t && now - t <= timeout;

    private static async Task<ClusterStats> Stats(ClaimsPrincipal user, InventoryDbContext db, IOptions<InventoryOptions> options, TimeProvider clock, CancellationToken ct)
    {
        var rows = await RowsAsync(db, user, ct);
        var now = clock.GetUtcNow();
        var timeout = options.Value.OfflineTimeout;
        var reporting = rows.Where(r => Healthy(r, now, timeout)).ToList();
        long totalCpu = rows.Sum(r => (long)r.CpuCores), totalMem = rows.Sum(r => r.MemoryMb);
        long usedCpu = rows.Sum(r => (long)r.UsedCpu), usedMem = rows.Sum(r => r.UsedMemory);
        long maxVms = rows.Sum(r => (long)r.MaxVms);
        var vms = rows.Sum(r => r.Vms);
        int Count(string s) => rows.Count(r => r.Status == s);
        return new ClusterStats(
            rows.Count, Count(WorkerStatus.Active), Count(WorkerStatus.Draining), Count(WorkerStatus.Offline),
            totalCpu, totalMem, usedCpu, usedMem, Math.Max(0, totalCpu - usedCpu), Math.Max(0, totalMem - usedMem),
            Round(reporting.Count == 0 ? 0 : reporting.Average(r => r.Cpu)), Round(reporting.Count == 0 ? 0 : reporting.Average(r => r.Memory)),
            vms, maxVms, Math.Max(0, maxVms - vms),
            rows.GroupBy(r => r.Zone).OrderBy(g => g.Key).ToDictionary(g => g.Key, g => g.Count()),
            Count(WorkerStatus.Pending), Count(WorkerStatus.Installing), Count(WorkerStatus.Maintenance), reporting.Count,
            rows.Sum(r => r.DiskGb), rows.Sum(r => r.UsedDisk), rows.Sum(r => r.Gpus.Count),
            Round(totalCpu == 0 ? 0 : 100.0 * usedCpu / totalCpu), Round(totalMem == 0 ? 0 : 100.0 * usedMem / totalMem));
    }

    private static async Task<ClusterDistribution> Distribution(ClaimsPrincipal user, InventoryDbContext db, CancellationToken ct)
    {
        var workers = await db.Workers.AsNoTracking().Visible(user).Include(w => w.Desired)
            .OrderBy(w => w.CreatedAt).ThenBy(w => w.Id).ToListAsync(ct);
        var ids = workers.Select(w => w.Id).ToList();
        var observed = (await db.ObservedVms.AsNoTracking().Where(o => ids.Contains(o.WorkerId)).ToListAsync(ct))
            .GroupBy(o => o.WorkerId).ToDictionary(g => g.Key, g => (IReadOnlyDictionary<Guid, DesiredState.ObservedVm>)g.ToDictionary(o => o.VmId));
        var empty = new Dictionary<Guid, DesiredState.ObservedVm>();
        var entries = workers.Select(w =>
        {
            var vms = WorkerVmEndpoints.VmsOf(w.Desired, observed.GetValueOrDefault(w.Id) ?? empty);
            return new DistributionEntry(w.Id, w.Hostname, w.Zone, vms.Count, vms, w.Name, w.Status);
        }).ToList();
        return new ClusterDistribution(entries, entries.Count);
    }

    private static async Task<SystemStats> System(ClaimsPrincipal user, InventoryDbContext db, IOptions<InventoryOptions> options, TimeProvider clock,
        SessionRegistry sessions, InventoryMeters meters, TelemetryBuffer buffer, CancellationToken ct)
    {
        var rows = await RowsAsync(db, user, ct);
        var now = clock.GetUtcNow();
        var timeout = options.Value.OfflineTimeout;
        var visible = db.Workers.AsNoTracking().Visible(user).Select(w => w.Id);
        var states = await db.ObservedVms.AsNoTracking().Where(o => visible.Contains(o.WorkerId))
            .GroupBy(o => o.State).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(ct);
        return new SystemStats(
            rows.Count,
            rows.GroupBy(r => r.Status).OrderBy(g => g.Key).ToDictionary(g => g.Key, g => g.Count()),
            rows.Count(r => Healthy(r, now, timeout)),
            rows.Count(r => r.SessionId is not null && r.LastHeartbeatAt is { } t && now - t <= timeout),
            rows.Sum(r => (long)r.CpuCores), rows.Sum(r => r.MemoryMb), rows.Sum(r => r.DiskGb), rows.Sum(r => r.Gpus.Count), rows.Sum(r => r.Vms),
            states.OrderBy(s => s.Key).ToDictionary(s => s.Key, s => s.Count),
            new ReplicaStats(ControllerInfo.Id, ControllerInfo.Version, sessions.Count, meters.HeartbeatsReceived, buffer.PendingHeartbeats),
            now);
    }

    private static double Round(double v) => Math.Round(v, 2);
}
