using Aetherium.Contracts;
using Aetherium.Scheduler.Persistence;
using MassTransit;

namespace Aetherium.Scheduler.Vms;

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
