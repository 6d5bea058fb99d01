using Aetherium.Agent.Reconcile;
using Aetherium.Contracts.Agent;
using static Aetherium.Agent.Tests.Vms;

namespace Aetherium.Agent.Tests;

/// <summary>The pure planning step: which actions make what runs equal to what is desired.</summary>
public sealed class ReconcilePlanTests
{
    private static IReadOnlyList<ReconcileAction> Plan(DesiredStateData desired, params DesiredVmData[] applied) =>
        ReconcilePlan.Compute(desired, applied.ToDictionary(v => v.VmId), applied.Select(v => v.VmId).ToHashSet());

    [Fact]
    public void A_new_vm_is_started_or_defined_stopped()
    {
        var run = Vm("a");
        var off = Vm("b", power: PowerStates.Stopped);

        var actions = Plan(Desired(1, run, off));

        Assert.Equal([new(ReconcileActionKind.Start, run.VmId, run), new(ReconcileActionKind.Stop, off.VmId, off)], actions);
    }

    [Fact]
    public void A_vm_absent_from_the_desired_set_is_removed()
    {
        var kept = Vm("kept");
        var gone = Vm("gone");

        Assert.Equal([new ReconcileAction(ReconcileActionKind.Remove, gone.VmId)], Plan(Desired(2, kept), kept, gone));
    }

    [Fact]
    public void Power_changes_stop_and_start()
    {
        var vm = Vm();
        var off = vm with { PowerState = PowerStates.Stopped };

        Assert.Equal([new ReconcileAction(ReconcileActionKind.Stop, vm.VmId, off)], Plan(Desired(2, off), vm));
        Assert.Equal([new ReconcileAction(ReconcileActionKind.Start, vm.VmId, vm)], Plan(Desired(3, vm), off));
    }

    [Fact]
    public void A_new_generation_or_a_changed_process_restarts_it()
    {
        var vm = Vm(generation: 1);

        foreach (var changed in new[] { vm with { Generation = 2 }, vm with { Command = "exec sleep 1" }, vm with { MemoryMb = 512 }, vm with { Port = 8081 } })
            Assert.Equal([new ReconcileAction(ReconcileActionKind.Restart, vm.VmId, changed)], Plan(Desired(2, changed), vm));
    }

    [Fact]
    public void What_already_matches_is_left_alone()
    {
        var vm = Vm();
        var off = Vm(power: PowerStates.Stopped);

        Assert.Empty(Plan(Desired(5, vm, off), vm, off));
    }

    [Fact]
    public void A_vm_the_driver_lost_is_started_again_and_one_it_runs_unasked_is_removed()
    {
        var vm = Vm();
        var stray = Guid.NewGuid();

        var actions = ReconcilePlan.Compute(Desired(1, vm), new Dictionary<Guid, DesiredVmData> { [vm.VmId] = vm }, new HashSet<Guid> { stray });

        Assert.Equal([new(ReconcileActionKind.Start, vm.VmId, vm), new(ReconcileActionKind.Remove, stray)], actions);
    }
}
