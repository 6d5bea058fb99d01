using Aetherium.Contracts;
using Aetherium.Lease.Persistence;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace Aetherium.Lease.Vms;

// How a lease follows its VMs from the scheduler's events. Each consumer is one conditional UPDATE, so a
// redelivered or late event changes nothing: VmStateChanged applies only when newer than what is stored;
// the unversioned events apply only to a VM still waiting for a place. Events of VMs that belong to no
// lease (POST /vms) are ignored before touching the database.

public sealed class VmScheduledConsumer(LeaseDbContext db) : IConsumer<VmScheduled>
{
    public async Task Consume(ConsumeContext<VmScheduled> context)
    {
        var m = context.Message;
        if (m.LeaseId is null) return;
        await db.LeaseVms
            .Where(v => v.Id == m.VmId && (v.Status == VmStatus.Pending || v.Status == VmStatus.Unschedulable || v.Status == VmStatus.Migrating))
            .ExecuteUpdateAsync(s => s
                .SetProperty(v => v.Status, VmStatus.Scheduled)
                .SetProperty(v => v.StatusReason, (string?)null)
                .SetProperty(v => v.WorkerAddress, v => v.WorkerId == m.WorkerId ? v.WorkerAddress : null)
                .SetProperty(v => v.Port, v => v.WorkerId == m.WorkerId ? v.Port : null)
                .SetProperty(v => v.WorkerId, m.WorkerId)
                .SetProperty(v => v.UpdatedAt, DateTimeOffset.UtcNow), context.CancellationToken);
    }
}

public sealed class VmStateChangedConsumer(LeaseDbContext db, ILogger<VmStateChangedConsumer> log) : IConsumer<VmStateChanged>
{
    public async Task Consume(ConsumeContext<VmStateChanged> context)
    {
        var m = context.Message;
        if (m.LeaseId is null) return;
        // A new worker without an address in the event invalidates the old worker's address.
        var applied = await db.LeaseVms
            .Where(v => v.Id == m.VmId && v.Version < m.Version && v.Status != VmStatus.Deleted)
            .ExecuteUpdateAsync(s => s
                .SetProperty(v => v.Status, m.NewStatus)
                .SetProperty(v => v.StatusReason, m.Reason)
                .SetProperty(v => v.WorkerAddress, v => m.WorkerAddress ?? (v.WorkerId == m.WorkerId ? v.WorkerAddress : null))
                .SetProperty(v => v.Port, v => m.Port ?? (v.WorkerId == m.WorkerId ? v.Port : null))
                .SetProperty(v => v.WorkerId, m.WorkerId)
                .SetProperty(v => v.Version, m.Version)
                .SetProperty(v => v.UpdatedAt, DateTimeOffset.UtcNow), context.CancellationToken);
        if (applied > 0 && m.NewStatus is VmStatus.Unschedulable or VmStatus.Failed)
            log.LogWarning("Lease {LeaseId}: VM {VmId} is {Status}: {Reason}", m.LeaseId, m.VmId, m.NewStatus, m.Reason);
    }
}

public sealed class VmUnschedulableConsumer(LeaseDbContext db, ILogger<VmUnschedulableConsumer> log) : IConsumer<VmUnschedulable>
{
    public async Task Consume(ConsumeContext<VmUnschedulable> context)
    {
        var m = context.Message;
        if (m.LeaseId is null) return;
        var applied = await db.LeaseVms
            .Where(v => v.Id == m.VmId
                        && (v.Status == VmStatus.Pending || v.Status == VmStatus.Unschedulable || v.Status == VmStatus.Migrating)
                        && !(v.Status == VmStatus.Unschedulable && v.StatusReason == m.Reason))
            .ExecuteUpdateAsync(s => s
                .SetProperty(v => v.Status, VmStatus.Unschedulable)
                .SetProperty(v => v.StatusReason, m.Reason)
                .SetProperty(v => v.UpdatedAt, DateTimeOffset.UtcNow), context.CancellationToken);
        // Logged when the reason is new, not on every retry of the scheduler.
        if (applied > 0)
            log.LogWarning("Lease {LeaseId}: VM {VmId} cannot be placed: {Reason}", m.LeaseId, m.VmId, m.Reason);
    }
}

public sealed class VmDeletedConsumer(LeaseDbContext db) : IConsumer<VmDeleted>
{
    public async Task Consume(ConsumeContext<VmDeleted> context)
    {
        var m = context.Message;
        // By VM id alone: a DeleteVm that overtook its CreateVm (the scheduler was down while a short lease
        // ended) leaves a tombstone that knows no lease, and its VmDeleted carries none.
        await db.LeaseVms
            .Where(v => v.Id == m.VmId && v.Status != VmStatus.Deleted)
            .ExecuteUpdateAsync(s => s
                .SetProperty(v => v.Status, VmStatus.Deleted)
                .SetProperty(v => v.StatusReason, (string?)null)
                .SetProperty(v => v.WorkerAddress, (string?)null)
                .SetProperty(v => v.Port, (int?)null)
                .SetProperty(v => v.UpdatedAt, DateTimeOffset.UtcNow), context.CancellationToken);
    }
}
