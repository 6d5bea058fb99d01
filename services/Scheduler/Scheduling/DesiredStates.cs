using Aetherium.Contracts;
using Aetherium.Scheduler.Persistence;
using Aetherium.Scheduler.Vms;
using Aetherium.Scheduler.Workers;
using Microsoft.EntityFrameworkCore;

namespace Aetherium.Scheduler.Scheduling;

/// <summary>
/// Every change of what a worker must run goes through here, inside the caller's transaction: the
/// worker's row is updated first (allocation and desired-state version; this row lock orders all
/// changes of one worker's set, across replicas), then its full VM set is read and published as
/// WorkerDesiredStateChanged with the new version. Times are clock_timestamp(), not the transaction's
/// start, so that they lie as close as possible to the commit that readers of updated_at see.
/// </summary>
public static class DesiredStates
{
    /// <summary>
    /// Adds <paramref name="delta"/> to the worker's allocation and bumps its desired version, but only
    /// if the worker is active and everything still fits (optimistic concurrency against other replicas).
    /// Returns the updated row, or null when the database refused.
    /// </summary>
    public static async Task<SchedulerWorker?> TryAllocateAsync(SchedulerDbContext db, Guid workerId, Allocation delta, int portRangeSize, CancellationToken ct)
    {
        var rows = await db.Workers.FromSql($"""
            UPDATE scheduler_workers SET
                allocated_cpu = allocated_cpu + {delta.Cpu},
                allocated_memory_mb = allocated_memory_mb + {delta.MemoryMb},
                allocated_disk_gb = allocated_disk_gb + {delta.DiskGb},
                allocated_gpus = allocated_gpus + {delta.Gpus},
                vm_count = vm_count + {delta.Vms},
                desired_version = desired_version + 1,
                updated_at = clock_timestamp()
            WHERE id = {workerId}
              AND status = 'active'
              AND allocated_cpu + {delta.Cpu} <= cpu_cores
              AND allocated_memory_mb + {delta.MemoryMb} <= memory_mb
              AND allocated_disk_gb + {delta.DiskGb} <= disk_gb
              AND allocated_gpus + {delta.Gpus} <= gpu_count
              AND vm_count + {delta.Vms} <= CASE WHEN max_vms > 0 THEN LEAST(max_vms, {portRangeSize}) ELSE {portRangeSize} END
            RETURNING *
            """).AsNoTracking().ToListAsync(ct);
        return rows.SingleOrDefault();
    }

    /// <summary>
    /// Releases <paramref name="freed"/> (VMs that left the worker's set; default: none, e.g. a power change),
    /// bumps the desired version and publishes the worker's new set, in which <paramref name="changed"/>
    /// (a VM that stays, e.g. started or stopped) changed in the new version. Returns the updated row, or
    /// null when the scheduler does not know the worker.
    /// </summary>
    public static async Task<SchedulerWorker?> ChangeAsync(SchedulerDbContext db, Guid workerId, Allocation freed, DateTimeOffset now, CancellationToken ct,
        Vm? changed = null)
    {
        var rows = await db.Workers.FromSql($"""
            UPDATE scheduler_workers SET
                allocated_cpu = allocated_cpu - {freed.Cpu},
                allocated_memory_mb = allocated_memory_mb - {freed.MemoryMb},
                allocated_disk_gb = allocated_disk_gb - {freed.DiskGb},
                allocated_gpus = allocated_gpus - {freed.Gpus},
                vm_count = vm_count - {freed.Vms},
                desired_version = desired_version + 1,
                capacity_changed_at = CASE WHEN {freed.Vms} > 0 THEN clock_timestamp() ELSE capacity_changed_at END,
                updated_at = clock_timestamp()
            WHERE id = {workerId}
            RETURNING *
            """).AsNoTracking().ToListAsync(ct);
        var row = rows.SingleOrDefault();
        if (row is null) return null;
        if (changed is not null) changed.DesiredVersion = row.DesiredVersion;
        Publish(db, row, await MembersAsync(db, workerId, ct), now);
        return row;
    }

    /// <summary>
    /// The VMs in the worker's desired set: on it and not being deleted. Reads the committed rows and
    /// overlays the VMs this unit of work has changed but not saved yet.
    /// </summary>
    public static async Task<List<Vm>> MembersAsync(SchedulerDbContext db, Guid workerId, CancellationToken ct)
    {
        var tracked = db.ChangeTracker.Entries<Vm>().Select(e => e.Entity).ToDictionary(v => v.Id);
        var stored = await db.Vms.AsNoTracking()
            .Where(v => v.WorkerId == workerId && VmStates.DesiredSet.Contains(v.Status))
            .ToListAsync(ct);
        var members = stored.Where(v => !tracked.ContainsKey(v.Id)).ToList();
        members.AddRange(tracked.Values.Where(v => v.WorkerId == workerId && VmStates.InDesiredSet(v.Status)));
        return members.OrderBy(v => v.Port).ThenBy(v => v.Id).ToList();
    }

    public static void Publish(SchedulerDbContext db, SchedulerWorker worker, IEnumerable<Vm> members, DateTimeOffset now) =>
        db.Publish(new WorkerDesiredStateChanged(worker.Id, worker.DesiredVersion, members.Select(ToDesired).ToList(), now));

    public static DesiredVm ToDesired(Vm vm) => new(vm.Id, vm.Name, vm.ImageId, vm.CpuCores, vm.MemoryMb, vm.DiskGb, vm.Gpus, vm.PowerState,
        vm.Command, vm.Port ?? 0, vm.Generation, vm.DesiredVersion);
}
