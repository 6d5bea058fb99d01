using Aetherium.Contracts;
using Aetherium.Inventory.Agents;
using Aetherium.Inventory.Persistence;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace Aetherium.Inventory.DesiredState;

/// <summary>
/// Keeps the newest desired VM set per worker (a version check makes redeliveries and stale copies
/// no-ops) and, in the same transaction, notifies every replica so the one holding the agent's session
/// pushes DESIRED_STATE.
/// </summary>
public sealed class WorkerDesiredStateChangedConsumer(InventoryDbContext db, ILogger<WorkerDesiredStateChangedConsumer> log)
    : IConsumer<WorkerDesiredStateChanged>
{
    public async Task Consume(ConsumeContext<WorkerDesiredStateChanged> context)
    {
        var m = context.Message;
        var ct = context.CancellationToken;
        var vms = m.Vms ?? [];
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var stored = await db.Database.ExecuteSqlAsync($"""
            INSERT INTO desired_states (worker_id, version, vms, used_cpu_cores, used_memory_mb, used_disk_gb, vm_count, updated_at)
            SELECT {m.WorkerId}, {m.Version}, {JsonColumns.Serialize(vms)}::jsonb,
                   {vms.Sum(v => v.CpuCores)}, {vms.Sum(v => (long)v.MemoryMb)}, {vms.Sum(v => (long)v.DiskGb)}, {vms.Count}, {DateTimeOffset.UtcNow}
            WHERE EXISTS (SELECT 1 FROM workers WHERE id = {m.WorkerId})
            ON CONFLICT (worker_id) DO UPDATE SET version = excluded.version, vms = excluded.vms,
                used_cpu_cores = excluded.used_cpu_cores, used_memory_mb = excluded.used_memory_mb,
                used_disk_gb = excluded.used_disk_gb, vm_count = excluded.vm_count, updated_at = excluded.updated_at
            WHERE desired_states.version < excluded.version
            """, ct);
        if (stored == 0)
        {
            log.LogDebug("Ignored desired state {Version} of worker {WorkerId}: a newer one is stored, or no such worker", m.Version, m.WorkerId);
            return;
        }
        // What the agent reported for VMs no longer wanted here is history.
        var kept = vms.Select(v => v.VmId).ToArray();
        await db.ObservedVms.Where(o => o.WorkerId == m.WorkerId && !kept.Contains(o.VmId)).ExecuteDeleteAsync(ct);
        await db.Database.ExecuteSqlAsync($"SELECT pg_notify({SessionNotices.DesiredChannel}, {SessionNotices.Desired(m.WorkerId, m.Version)})", ct);
        await tx.CommitAsync(ct);
    }
}
