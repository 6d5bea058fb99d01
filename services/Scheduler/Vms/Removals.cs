using Aetherium.Contracts;
using Aetherium.Scheduler.Persistence;
using MassTransit;
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

/// <summary>
/// A heartbeat said the agent applied a newer desired set: confirms the deletions it carried out at once, also
/// when no VM report follows (the worker's last VM), instead of after the confirmation timeout. Idempotent.
/// </summary>
public sealed class DesiredStateAppliedConsumer(SchedulerDbContext db, TimeProvider time) : IConsumer<WorkerDesiredStateApplied>
{
    public async Task Consume(ConsumeContext<WorkerDesiredStateApplied> context)
    {
        var m = context.Message;
        if (m.DesiredVersion <= 0) return;
        await using var tx = await db.Database.BeginTransactionAsync(context.CancellationToken);
        await Removals.ConfirmAsync(db, m.WorkerId, m.DesiredVersion, time.GetUtcNow(), context.CancellationToken);
        await db.SaveChangesAsync(context.CancellationToken);
        await tx.CommitAsync(context.CancellationToken);
    }
}
