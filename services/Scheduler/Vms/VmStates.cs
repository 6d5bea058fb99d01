using Aetherium.Contracts;
using Aetherium.Scheduler.Persistence;

namespace Aetherium.Scheduler.Vms;

/// <summary>The VM lifecycle of DESIGN §5 and the events each step publishes.</summary>
public static class VmStates
{
    /// <summary>States of a VM that is in its worker's desired set (and holds capacity there).</summary>
    public static readonly string[] DesiredSet = [VmStatus.Scheduled, VmStatus.Provisioning, VmStatus.Running, VmStatus.Stopped, VmStatus.Failed];

    /// <summary>States of a VM waiting for a worker.</summary>
    public static readonly string[] Queued = [VmStatus.Pending, VmStatus.Migrating, VmStatus.Unschedulable];

    public static readonly string[] All =
    [
        VmStatus.Pending, VmStatus.Scheduled, VmStatus.Provisioning, VmStatus.Running, VmStatus.Stopped, VmStatus.Migrating,
        VmStatus.Deleting, VmStatus.Deleted, VmStatus.Failed, VmStatus.Unschedulable,
    ];

    public static bool InDesiredSet(string status) => Array.IndexOf(DesiredSet, status) >= 0;

    /// <summary>Moves the VM to <paramref name="status"/> and publishes VmStateChanged with its next version.</summary>
    public static void Transition(SchedulerDbContext db, Vm vm, string status, string? reason, DateTimeOffset now)
    {
        var from = vm.Status;
        vm.Status = status;
        vm.StatusReason = reason is null ? null : VmRequests.Cut(reason, 1000);
        Touch(vm, now);
        db.Publish(new VmStateChanged(vm.Id, vm.OrganizationId, vm.LeaseId, vm.WorkerId, from, status, vm.StatusReason, vm.Version, now, vm.Endpoint.Address, vm.Endpoint.Port));
    }

    /// <summary>A change that is not a state change (power, generation): a new version, no event of its own.</summary>
    public static void Touch(Vm vm, DateTimeOffset now)
    {
        vm.Version++;
        vm.UpdatedAt = now;
    }

    /// <summary>The end of a VM: deleted, VmStateChanged and VmDeleted. Its capacity was released when it began deleting.</summary>
    public static void Deleted(SchedulerDbContext db, Vm vm, string? reason, DateTimeOffset now)
    {
        Transition(db, vm, VmStatus.Deleted, reason, now);
        vm.MigratedFrom = null;
        vm.DeletingSince = null;
        db.Publish(new VmDeleted(vm.Id, vm.OrganizationId, vm.LeaseId, vm.WorkerId, now));
    }
}
