using Aetherium.Contracts;
using Aetherium.Contracts.Agent;
using Aetherium.Scheduler.Persistence;
using Aetherium.Scheduler.Scheduling;
using Microsoft.EntityFrameworkCore;

namespace Aetherium.Scheduler.Vms;

/// <summary>
/// Delete and power actions, shared by the API and lease's commands. The caller holds a transaction;
/// the VM row is locked first, then (through <see cref="DesiredStates"/>) its worker's row.
/// </summary>
public sealed class VmOperations(SchedulerDbContext db, TimeProvider time, SchedulerSignals signals)
{
    public static readonly string[] Actions = ["start", "stop", "restart"];

    /// <summary>The VM, locked until the transaction ends (placement, agent reports and other calls wait).</summary>
    public Task<Vm?> LockAsync(Guid id, CancellationToken ct) =>
        db.Vms.FromSql($"SELECT * FROM vms WHERE id = {id} FOR UPDATE").SingleOrDefaultAsync(ct);

    /// <summary>
    /// Begins deleting the VM: it leaves its worker's desired set at once (capacity freed) and becomes
    /// deleting until its agent no longer runs it; a VM on no worker, or on an offline or deleted one,
    /// is deleted at once. Deleting twice changes nothing.
    /// </summary>
    public async Task DeleteAsync(Vm vm, string reason, CancellationToken ct)
    {
        if (vm.Status is VmStatus.Deleting or VmStatus.Deleted) return;
        var now = time.GetUtcNow();
        if (vm.WorkerId is Guid workerId && VmStates.InDesiredSet(vm.Status))
        {
            VmStates.Transition(db, vm, VmStatus.Deleting, reason, now);
            vm.DeletingSince = now;
            vm.MigratedFrom = null; // a VM deleted half-way through a move no longer counts as moving
            var worker = await DesiredStates.ChangeAsync(db, workerId, Allocation.Of(vm), now, ct);
            signals.Placement.Notify(); // capacity appeared: unschedulable VMs may fit now
            if (worker is null || worker.Status is WorkerStatus.Offline or WorkerStatus.Deleted)
                VmStates.Deleted(db, vm, reason, now);
            else
                vm.DesiredVersion = worker.Version;
            return;
        }
        VmStates.Deleted(db, vm, reason, now);
    }

    /// <summary>
    /// start / stop change the desired power state, restart bumps the generation; the worker's desired
    /// set is republished when the VM is on one. Returns why the VM's state forbids it, or null.
    /// The status follows once the agent reports.
    /// </summary>
    public async Task<string?> ActAsync(Vm vm, string action, CancellationToken ct)
    {
        if (vm.Status is VmStatus.Deleting or VmStatus.Deleted) return $"the VM is {vm.Status}";
        switch (action)
        {
            case "start":
                if (vm.PowerState == PowerStates.Running) return vm.Status == VmStatus.Failed ? "the VM failed; restart it" : "the VM is already started";
                vm.PowerState = PowerStates.Running;
                break;
            case "stop":
                if (vm.PowerState == PowerStates.Stopped) return "the VM is already stopped";
                vm.PowerState = PowerStates.Stopped;
                break;
            case "restart":
                if (vm.PowerState == PowerStates.Stopped) return "the VM is stopped; start it";
                if (vm.Status is not (VmStatus.Running or VmStatus.Failed)) return $"the VM is {vm.Status}; only a running or failed VM can be restarted";
                vm.Generation++;
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(action), action, null);
        }
        var now = time.GetUtcNow();
        VmStates.Touch(vm, now);
        if (vm.WorkerId is Guid workerId && VmStates.InDesiredSet(vm.Status))
        {
            await DesiredStates.ChangeAsync(db, workerId, default, now, ct, changed: vm);
        }
        return null;
    }
}
