using System.Text.Json;
using Aetherium.Contracts;
using Aetherium.Scheduler.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Aetherium.Scheduler.Workers;

/// <summary>Applies inventory's worker snapshots to scheduler_workers, newest version wins.</summary>
public static class WorkerSnapshots
{
    /// <summary>
    /// Inserts or updates the worker's row from the snapshot when its Version is newer than the stored
    /// one (events arrive twice or out of order; the row converges to the newest). The scheduler's own
    /// allocation columns are never touched here. Returns whether the snapshot was applied.
    /// </summary>
    public static async Task<bool> ApplyAsync(SchedulerDbContext db, WorkerSnapshot s, string? statusOverride, CancellationToken ct)
    {
        var status = statusOverride ?? s.Status;
        var labels = JsonSerializer.Serialize(s.Labels ?? new Dictionary<string, string>());
        var runtimes = (s.Runtimes ?? []).ToArray();
        string[]? images = s.Images is { Count: > 0 } ? s.Images.ToArray() : null;
        DateTimeOffset? drainDeadline = s.DrainDeadline?.ToUniversalTime();
        var gpus = s.Gpus?.Count ?? 0;
        var rows = await db.Database.ExecuteSqlAsync($"""
            INSERT INTO scheduler_workers AS w (id, organization_id, name, address, zone, status, labels, runtimes, images,
                cpu_cores, memory_mb, disk_gb, gpu_count, max_vms, snapshot_version, drain_deadline, drain_max_parallel,
                status_changed_at, offline_since, capacity_changed_at, updated_at,
                allocated_cpu, allocated_memory_mb, allocated_disk_gb, allocated_gpus, vm_count, desired_version, next_port)
            VALUES ({s.WorkerId}, {s.OrganizationId}, {s.Name}, {s.Address}, {s.Zone ?? ""}, {status}, {labels}::jsonb, {runtimes}, {images}::text[],
                {s.CpuCores}, {s.MemoryMb}, {s.DiskGb}, {gpus}, {s.MaxVms}, {s.Version}, {drainDeadline}::timestamptz, {s.DrainMaxParallel},
                now(), CASE WHEN {status} = 'offline' THEN now() END, clock_timestamp(), clock_timestamp(),
                0, 0, 0, 0, 0, 0, 0)
            ON CONFLICT (id) DO UPDATE SET
                organization_id = EXCLUDED.organization_id, name = EXCLUDED.name, address = EXCLUDED.address, zone = EXCLUDED.zone,
                status = EXCLUDED.status, labels = EXCLUDED.labels, runtimes = EXCLUDED.runtimes, images = EXCLUDED.images,
                cpu_cores = EXCLUDED.cpu_cores, memory_mb = EXCLUDED.memory_mb, disk_gb = EXCLUDED.disk_gb, gpu_count = EXCLUDED.gpu_count,
                max_vms = EXCLUDED.max_vms, snapshot_version = EXCLUDED.snapshot_version,
                drain_deadline = EXCLUDED.drain_deadline, drain_max_parallel = EXCLUDED.drain_max_parallel,
                status_changed_at = CASE WHEN w.status <> EXCLUDED.status THEN now() ELSE w.status_changed_at END,
                offline_since = CASE WHEN EXCLUDED.status <> 'offline' THEN NULL WHEN w.status = 'offline' THEN w.offline_since ELSE now() END,
                capacity_changed_at = CASE WHEN EXCLUDED.status = 'active' THEN clock_timestamp() ELSE w.capacity_changed_at END,
                updated_at = clock_timestamp()
            WHERE w.snapshot_version < EXCLUDED.snapshot_version
            """, ct);
        return rows > 0;
    }
}
