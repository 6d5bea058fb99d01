using Aetherium.Scheduler.Images;
using Aetherium.Scheduler.Placement;
using Aetherium.Scheduler.Vms;

namespace Aetherium.Scheduler.Scheduling;

public static class PlacementRequests
{
    /// <summary>
    /// What placement needs to know of a VM. It may run on the runtime it names, else on any runtime its
    /// image runs on; it is scored as it asked, else as configured.
    /// </summary>
    public static PlacementRequest For(Vm vm, IReadOnlyDictionary<string, Image> images, ScoringMode defaultScoring)
    {
        var runtimes = vm.Runtime is not null ? [vm.Runtime] : images.TryGetValue(vm.ImageId, out var image) ? image.Runtimes : null;
        var scoring = vm.Scoring switch
        {
            "spread" => ScoringMode.Spread,
            "binpack" => ScoringMode.BinPack,
            _ => defaultScoring,
        };
        return new PlacementRequest(vm.CpuCores, vm.MemoryMb, vm.DiskGb, vm.Gpus, vm.ImageId, vm.Zone,
            vm.Labels.Count > 0 ? vm.Labels : null, runtimes, scoring);
    }
}
