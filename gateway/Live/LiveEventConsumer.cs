using System.Text.Json;
using Aetherium.Contracts;
using MassTransit;

namespace Aetherium.Gateway.Live;

/// <summary>
/// The contract's events, taken off this gateway instance's own queue and handed to the fan-out. One
/// consumer for all of them on one endpoint that takes one message at a time: clients see the events in
/// the order the gateway received them.
/// </summary>
public sealed class LiveEventConsumer(LiveFanOut fanOut) :
    IConsumer<WorkerCreated>, IConsumer<WorkerRegistered>, IConsumer<WorkerStatusChanged>, IConsumer<WorkerCapacityChanged>, IConsumer<WorkerDeleted>,
    IConsumer<VmRequested>, IConsumer<VmScheduled>, IConsumer<VmUnschedulable>, IConsumer<VmStateChanged>, IConsumer<VmMigrated>, IConsumer<VmDeleted>,
    IConsumer<LeaseCreated>, IConsumer<LeaseExtended>, IConsumer<LeaseReleased>, IConsumer<LeaseExpired>
{
    public Task Consume(ConsumeContext<WorkerCreated> c) => Fan(c, "worker.created", c.Message.Worker.OrganizationId, c.Message.OccurredAt);
    public Task Consume(ConsumeContext<WorkerRegistered> c) => Fan(c, "worker.registered", c.Message.Worker.OrganizationId, c.Message.OccurredAt);
    public Task Consume(ConsumeContext<WorkerStatusChanged> c) => Fan(c, "worker.status_changed", c.Message.Worker.OrganizationId, c.Message.OccurredAt);
    public Task Consume(ConsumeContext<WorkerCapacityChanged> c) => Fan(c, "worker.capacity_changed", c.Message.Worker.OrganizationId, c.Message.OccurredAt);
    public Task Consume(ConsumeContext<WorkerDeleted> c) => Fan(c, "worker.deleted", c.Message.Worker.OrganizationId, c.Message.OccurredAt);
    public Task Consume(ConsumeContext<VmRequested> c) => Fan(c, "vm.requested", c.Message.OrganizationId, c.Message.OccurredAt);
    public Task Consume(ConsumeContext<VmScheduled> c) => Fan(c, "vm.scheduled", c.Message.OrganizationId, c.Message.OccurredAt);
    public Task Consume(ConsumeContext<VmUnschedulable> c) => Fan(c, "vm.unschedulable", c.Message.OrganizationId, c.Message.OccurredAt);
    public Task Consume(ConsumeContext<VmMigrated> c) => Fan(c, "vm.migrated", c.Message.OrganizationId, c.Message.OccurredAt);
    public Task Consume(ConsumeContext<VmDeleted> c) => Fan(c, "vm.deleted", c.Message.OrganizationId, c.Message.OccurredAt);
    public Task Consume(ConsumeContext<LeaseCreated> c) => Fan(c, "lease.created", c.Message.OrganizationId, c.Message.OccurredAt);
    public Task Consume(ConsumeContext<LeaseExtended> c) => Fan(c, "lease.extended", c.Message.OrganizationId, c.Message.OccurredAt);
    public Task Consume(ConsumeContext<LeaseReleased> c) => Fan(c, "lease.released", c.Message.OrganizationId, c.Message.OccurredAt);
    public Task Consume(ConsumeContext<LeaseExpired> c) => Fan(c, "lease.expired", c.Message.OrganizationId, c.Message.OccurredAt);

    /// <summary>The contract names the new state <c>status</c> and always carries <c>worker_id</c>, null before placement.</summary>
    public Task Consume(ConsumeContext<VmStateChanged> c)
    {
        var data = JsonSerializer.SerializeToNode(c.Message, LiveEvent.JsonOptions)!.AsObject();
        data["status"] = c.Message.NewStatus;
        data["worker_id"] = c.Message.WorkerId?.ToString();
        fanOut.Publish(c.MessageId, LiveEvent.Create("vm.state_changed", c.Message.OrganizationId, c.Message.OccurredAt, data));
        return Task.CompletedTask;
    }

    private Task Fan<T>(ConsumeContext<T> c, string type, Guid organizationId, DateTimeOffset occurredAt) where T : class
    {
        fanOut.Publish(c.MessageId, LiveEvent.Create(type, organizationId, occurredAt, c.Message));
        return Task.CompletedTask;
    }
}
