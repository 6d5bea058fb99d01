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
    /// Adds each worker's delta to its allocation and bumps its desired version, in one statement for all of
    /// them, but only where the worker is active and everything still fits (optimistic concurrency against
    /// other replicas). The rows are locked first in id order, so two replicas allocating on overlapping
    /// workers wait for each other instead of deadlocking. Returns the updated rows by id; a worker missing
    /// from it was refused.
    /// </summary>
    public static async Task<Dictionary<Guid, SchedulerWorker>> TryAllocateAsync(SchedulerDbContext db,
        IReadOnlyList<(Guid WorkerId, Allocation Delta)> deltas, int portRangeSize, CancellationToken ct)
    {
        if (deltas.Count == 0) return [];
        var ids = deltas.Select(d => d.WorkerId).ToArray();
        await db.Database.ExecuteSqlAsync($"SELECT 1 FROM scheduler_workers WHERE id = ANY({ids}) ORDER BY id FOR UPDATE", ct);
        var cpu = deltas.Select(d => d.Delta.Cpu).ToArray();
        var memory = deltas.Select(d => d.Delta.MemoryMb).ToArray();
        var disk = deltas.Select(d => d.Delta.DiskGb).ToArray();
        var gpus = deltas.Select(d => d.Delta.Gpus).ToArray();
        var vms = deltas.Select(d => d.Delta.Vms).ToArray();
        var rows = await db.Workers.FromSql($"""
            UPDATE scheduler_workers AS w SET
                allocated_cpu = w.allocated_cpu + d.cpu,
                allocated_memory_mb = w.allocated_memory_mb + d.memory_mb,
                allocated_disk_gb = w.allocated_disk_gb + d.disk_gb,
                allocated_gpus = w.allocated_gpus + d.gpus,
                vm_count = w.vm_count + d.vms,
                desired_version = w.desired_version + 1,
                updated_at = clock_timestamp()
            FROM unnest({ids}, {cpu}, {memory}, {disk}, {gpus}, {vms}) AS d(id, cpu, memory_mb, disk_gb, gpus, vms)
            WHERE w.id = d.id
              AND w.status = 'active'
              AND w.allocated_cpu + d.cpu <= w.cpu_cores
              AND w.allocated_memory_mb + d.memory_mb <= w.memory_mb
              AND w.allocated_disk_gb + d.disk_gb <= w.disk_gb
              AND w.allocated_gpus + d.gpus <= w.gpu_count
              AND w.vm_count + d.vms <= CASE WHEN w.max_vms > 0 THEN LEAST(w.max_vms, {portRangeSize}) ELSE {portRangeSize} END
            RETURNING w.*
            """).AsNoTracking().ToListAsync(ct);
        return rows.ToDictionary(r => r.Id);
    }

    /// <summary>
    /// Releases <paramref name="freed"/> (VMs that left the worker's set; default: none, e.g. a power change),
    /// bumps the desired version and publishes the worker's new set, in which <paramref name="changed"/>
    /// (a VM that stays, e.g. started or stopped) changed in the new version. Returns the worker's status and new
    /// version, or null when the scheduler does not know the worker. Only those columns are read back, so a worker
    /// row whose labels cannot be read still lets its VMs leave, stop or be deleted.
    /// </summary>
    public static async Task<DesiredVersion?> ChangeAsync(SchedulerDbContext db, Guid workerId, Allocation freed, DateTimeOffset now, CancellationToken ct,
        Vm? changed = null)
    {
        var rows = await db.Database.SqlQuery<DesiredVersion>($"""
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
            RETURNING id AS "Id", status AS "Status", desired_version AS "Version"
            """).ToListAsync(ct);
        var row = rows.SingleOrDefault();
        if (row is null) return null;
        if (changed is not null) changed.DesiredVersion = row.Version;
        Publish(db, row.Id, row.Version, await MembersAsync(db, workerId, ct), now);
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

    public static void Publish(SchedulerDbContext db, Guid workerId, long desiredVersion, IEnumerable<Vm> members, DateTimeOffset now) =>
        db.Publish(new WorkerDesiredStateChanged(workerId, desiredVersion, members.Select(ToDesired).ToList(), now));

    /// <summary>A worker's status and desired-state version after <see cref="ChangeAsync"/>.</summary>
    public sealed record DesiredVersion(Guid Id, string Status, long Version);

    public static DesiredVm ToDesired(Vm vm) => new(vm.Id, vm.Name, vm.ImageId, vm.CpuCores, vm.MemoryMb, vm.DiskGb, vm.Gpus, vm.PowerState,
        vm.Command, vm.Port ?? 0, vm.Generation, vm.DesiredVersion, vm.Access);
}
