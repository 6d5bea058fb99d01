using Aetherium.Contracts.Agent;

namespace Aetherium.Agent.Reconcile;

public enum ReconcileActionKind { Start, Stop, Restart, Remove }

public sealed record ReconcileAction(ReconcileActionKind Kind, Guid VmId, DesiredVmData? Vm = null);

/// <summary>
/// The level-triggered core: from the desired set and what the driver was last told (and still
/// knows), the actions that make what runs equal to what is desired. Pure, so every case is testable.
/// </summary>
public static class ReconcilePlan
{
    /// <param name="applied">each VM's spec as last given to the driver, with the power state given then</param>
    /// <param name="driverKnows">the VMs the driver reports now</param>
    public static IReadOnlyList<ReconcileAction> Compute(
        DesiredStateData desired, IReadOnlyDictionary<Guid, DesiredVmData> applied, IReadOnlySet<Guid> driverKnows)
    {
        var actions = new List<ReconcileAction>();
        var wanted = new HashSet<Guid>();
        foreach (var vm in desired.Vms)
        {
            if (!wanted.Add(vm.VmId)) continue; // a duplicate entry: the first one counts
            var run = vm.PowerState == PowerStates.Running;
            if (!applied.TryGetValue(vm.VmId, out var before) || !driverKnows.Contains(vm.VmId))
                actions.Add(new(run ? ReconcileActionKind.Start : ReconcileActionKind.Stop, vm.VmId, vm));
            else if (run && before.PowerState != PowerStates.Running)
                actions.Add(new(ReconcileActionKind.Start, vm.VmId, vm));
            else if (run && NeedsRestart(before, vm))
                actions.Add(new(ReconcileActionKind.Restart, vm.VmId, vm));
            else if (!run && (before.PowerState == PowerStates.Running || before != vm))
                actions.Add(new(ReconcileActionKind.Stop, vm.VmId, vm));
        }
        // A VM absent from the desired set must not run here (DESIGN §6).
        foreach (var id in applied.Keys.Concat(driverKnows).Distinct())
            if (!wanted.Contains(id)) actions.Add(new(ReconcileActionKind.Remove, id));
        return actions;
    }

    /// <summary>A new generation (the user's restart) or a change to what the process is made of.</summary>
    public static bool NeedsRestart(DesiredVmData before, DesiredVmData now) =>
        before.Generation != now.Generation
        || before.Command != now.Command
        || before.Port != now.Port
        || before.CpuCores != now.CpuCores
        || before.MemoryMb != now.MemoryMb
        || before.ImageId != now.ImageId;
}
