using Aetherium.Scheduler.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Aetherium.Scheduler.Vms;

/// <summary>Ends the deletions an agent has carried out.</summary>
public static class Removals
{
    /// <summary>
    /// The worker's agent has applied <paramref name="appliedVersion"/>: VMs taken out of its set at or before that
    /// version no longer run there and are deleted. Rows locked by someone else are left to the next report or to
    /// <see cref="DeletionConfirmer"/>.
    /// </summary>
    public static async Task ConfirmAsync(SchedulerDbContext db, Guid workerId, long appliedVersion, DateTimeOffset now, CancellationToken ct,
        Guid? except = null)
    {
        var skip = except ?? Guid.Empty;
        var removed = await db.Vms.FromSql($"""
            SELECT * FROM vms WHERE worker_id = {workerId} AND status = 'deleting' AND desired_version <= {appliedVersion} AND id <> {skip}
            FOR UPDATE SKIP LOCKED
            """).ToListAsync(ct);
        foreach (var vm in removed) VmStates.Deleted(db, vm, vm.StatusReason, now);
    }
}
