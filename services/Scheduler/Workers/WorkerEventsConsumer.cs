using Aetherium.Contracts;
using Aetherium.Scheduler.Persistence;
using Aetherium.Scheduler.Scheduling;
using MassTransit;

namespace Aetherium.Scheduler.Workers;

/// <summary>
/// Keeps scheduler_workers in step with inventory. Idempotent by the snapshot's version, so no inbox is
/// needed. What follows from a change (placing on a new worker, moving VMs off an offline or draining
/// one) is done by the placement loop and the rescheduler, which this wakes.
/// </summary>
public sealed class WorkerEventsConsumer(SchedulerDbContext db, FleetView view, SchedulerSignals signals, ILogger<WorkerEventsConsumer> log) :
    IConsumer<WorkerCreated>, IConsumer<WorkerRegistered>, IConsumer<WorkerStatusChanged>, IConsumer<WorkerCapacityChanged>, IConsumer<WorkerDeleted>
{
    public Task Consume(ConsumeContext<WorkerCreated> context) => Apply(context.Message.Worker, null, context.CancellationToken);

    public Task Consume(ConsumeContext<WorkerRegistered> context) => Apply(context.Message.Worker, null, context.CancellationToken);

    public Task Consume(ConsumeContext<WorkerStatusChanged> context) => Apply(context.Message.Worker, null, context.CancellationToken);

    public Task Consume(ConsumeContext<WorkerCapacityChanged> context) => Apply(context.Message.Worker, null, context.CancellationToken);

    public Task Consume(ConsumeContext<WorkerDeleted> context) => Apply(context.Message.Worker, WorkerStatus.Deleted, context.CancellationToken);

    private async Task Apply(WorkerSnapshot snapshot, string? status, CancellationToken ct)
    {
        if (!await WorkerSnapshots.ApplyAsync(db, snapshot, status, ct))
        {
            log.LogDebug("Worker {WorkerId} snapshot {Version} is not newer than the stored one; ignored", snapshot.WorkerId, snapshot.Version);
            return;
        }
        log.LogInformation("Worker {WorkerId} is {Status} (snapshot {Version})", snapshot.WorkerId, status ?? snapshot.Status, snapshot.Version);
        view.MarkDirty();
        signals.Placement.Notify();
        signals.Reschedule.Notify();
    }
}
