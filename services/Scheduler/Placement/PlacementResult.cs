using System.Text;

namespace Aetherium.Scheduler.Placement;

/// <summary>Why a worker was not a candidate; the first filter that rejected it.</summary>
public enum Rejection
{
    None,
    NotActive,
    Zone,
    Labels,
    Image,
    Runtime,
    MaxVms,
    Cpu,
    Memory,
    Disk,
    Gpu,
}

/// <summary>How many workers each filter rejected: the explanation of an unschedulable VM.</summary>
public struct FilterCounts
{
    public int NotActive, Zone, Labels, Image, Runtime, MaxVms, Cpu, Memory, Disk, Gpu;

    public readonly int Total => NotActive + Zone + Labels + Image + Runtime + MaxVms + Cpu + Memory + Disk + Gpu;

    public void Add(Rejection r)
    {
        switch (r)
        {
            case Rejection.NotActive: NotActive++; break;
            case Rejection.Zone: Zone++; break;
            case Rejection.Labels: Labels++; break;
            case Rejection.Image: Image++; break;
            case Rejection.Runtime: Runtime++; break;
            case Rejection.MaxVms: MaxVms++; break;
            case Rejection.Cpu: Cpu++; break;
            case Rejection.Memory: Memory++; break;
            case Rejection.Disk: Disk++; break;
            case Rejection.Gpu: Gpu++; break;
        }
    }

    /// <summary>Nomad style: "no worker fits: 3 exhausted memory, 2 filtered by zone".</summary>
    public readonly string Describe()
    {
        if (Total == 0) return "no worker fits: no workers known";
        var parts = new List<string>();
        void Part(int n, string what) { if (n > 0) parts.Add($"{n} {what}"); }
        Part(NotActive, "not active");
        Part(Zone, "filtered by zone");
        Part(Labels, "filtered by labels");
        Part(Image, "filtered by image");
        Part(Runtime, "filtered by runtime");
        Part(MaxVms, "at max_vms");
        Part(Cpu, "exhausted cpu");
        Part(Memory, "exhausted memory");
        Part(Disk, "exhausted disk");
        Part(Gpu, "exhausted gpu");
        return new StringBuilder("no worker fits: ").AppendJoin(", ", parts).ToString();
    }
}

/// <summary>
/// The decision: <see cref="Index"/> into the worker list (-1 when nothing fits), how many workers
/// were looked at and found feasible, and, when nothing fits, what filtered them.
/// </summary>
public readonly record struct PlacementResult(int Index, Guid? WorkerId, double Score, int Scanned, int Feasible, FilterCounts Counts)
{
    public bool Placed => Index >= 0;
    public string Reason => Counts.Describe();
}
