namespace Aetherium.Scheduler.Placement;

/// <summary>
/// What placement knows about one worker: its capacity, what the scheduler has already allotted on
/// it, and the facts filters look at. Immutable, so a batch can work on its own copy of the fleet; a
/// struct, so that the fleet is one contiguous array the scan streams through. Names (zone, images, runtimes) are normalised and interned once here, so that the scan over
/// thousands of workers compares references, not strings.
/// </summary>
public readonly struct WorkerView
{
    // What the scan reads for every worker comes first and is kept small; the rest of the facts live in
    // one shared object per worker, read only for the chosen one and for explanations.
    private readonly int _freeCpu;
    private readonly int _freeGpus;
    /// <summary>VMs it may still take; 0 when it is not active.</summary>
    private readonly int _freeSlots;
    private readonly int _vmCount;
    private readonly long _freeMemoryMb;
    private readonly long _freeDiskGb;
    private readonly double _cpuScale;
    private readonly double _memoryScale;
    private readonly Facts _facts;

    public WorkerView(Guid id, bool isActive, string zone, IReadOnlyDictionary<string, string> labels, string[]? images, string[] runtimes,
        int cpuCores, long memoryMb, long diskGb, int gpus, int maxVms,
        int allocatedCpu = 0, long allocatedMemoryMb = 0, long allocatedDiskGb = 0, int allocatedGpus = 0, int vmCount = 0)
    {
        _facts = new Facts(id, isActive, labels, cpuCores, memoryMb, diskGb, gpus, maxVms);
        Zone = Names.Zone(zone) ?? "";
        LabelPairs = labels.ToArray();
        Images = images is { Length: > 0 } ? Names.InternSet(images) : null;
        Runtimes = Names.InternSet(runtimes);
        _freeCpu = cpuCores - allocatedCpu;
        _freeMemoryMb = memoryMb - allocatedMemoryMb;
        _freeDiskGb = diskGb - allocatedDiskGb;
        _freeGpus = gpus - allocatedGpus;
        _vmCount = vmCount;
        _freeSlots = isActive ? Math.Max(maxVms - vmCount, 0) : 0;
        // A worker without cores or memory takes no VM anyway; its scale only has to be finite.
        _cpuScale = cpuCores > 0 ? 1.0 / cpuCores : 0;
        _memoryScale = memoryMb > 0 ? 1.0 / memoryMb : 0;
    }

    /// <summary>The same worker with one more VM of <paramref name="r"/>'s size on it.</summary>
    private WorkerView(in WorkerView w, PlacementRequest r)
    {
        _facts = w._facts;
        Zone = w.Zone;
        LabelPairs = w.LabelPairs;
        Images = w.Images;
        Runtimes = w.Runtimes;
        _cpuScale = w._cpuScale;
        _memoryScale = w._memoryScale;
        _freeCpu = w._freeCpu - r.CpuCores;
        _freeMemoryMb = w._freeMemoryMb - r.MemoryMb;
        _freeDiskGb = w._freeDiskGb - r.DiskGb;
        _freeGpus = w._freeGpus - r.Gpus;
        _vmCount = w._vmCount + 1;
        _freeSlots = Math.Max(w._freeSlots - 1, 0);
    }

    public Guid Id => _facts.Id;
    /// <summary>Only active workers take VMs (not pending, installing, draining, maintenance or offline).</summary>
    public bool IsActive => _facts.IsActive;
    /// <summary>Lower case.</summary>
    public string Zone { get; }
    public IReadOnlyDictionary<string, string> Labels => _facts.Labels;
    internal KeyValuePair<string, string>[] LabelPairs { get; }
    /// <summary>Image ids the worker runs; null: any.</summary>
    public string[]? Images { get; }
    /// <summary>Runtimes the agent offers; empty: not reported, any.</summary>
    public string[] Runtimes { get; }
    public int CpuCores => _facts.CpuCores;
    public long MemoryMb => _facts.MemoryMb;
    public long DiskGb => _facts.DiskGb;
    public int Gpus => _facts.Gpus;
    public int MaxVms => _facts.MaxVms;
    public int VmCount => _vmCount;
    public int AllocatedCpu => _facts.CpuCores - _freeCpu;
    public long AllocatedMemoryMb => _facts.MemoryMb - _freeMemoryMb;
    public long AllocatedDiskGb => _facts.DiskGb - _freeDiskGb;
    public int AllocatedGpus => _facts.Gpus - _freeGpus;

    public int FreeCpu => _freeCpu;
    public long FreeMemoryMb => _freeMemoryMb;
    public long FreeDiskGb => _freeDiskGb;
    public int FreeGpus => _freeGpus;
    /// <summary>VMs it may still take: max_vms less its VMs, and none when it is not active.</summary>
    internal int FreeSlots => _freeSlots;

    /// <summary>The share of its CPU and of its memory in use once a VM of this size is on it, averaged (0 empty, 1 full).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    internal double UsedWith(int cpu, long memoryMb) =>
        1 - ((_freeCpu - cpu) * _cpuScale + (_freeMemoryMb - memoryMb) * _memoryScale) * 0.5;

    public WorkerView Allocate(PlacementRequest r) => new(this, r);

    /// <summary>The same worker under another id (for building test fleets).</summary>
    public WorkerView WithId(Guid id) => new(id, IsActive, Zone, Labels, Images, Runtimes, CpuCores, MemoryMb, DiskGb, Gpus, MaxVms,
        AllocatedCpu, AllocatedMemoryMb, AllocatedDiskGb, AllocatedGpus, VmCount);

    private sealed record Facts(Guid Id, bool IsActive, IReadOnlyDictionary<string, string> Labels,
        int CpuCores, long MemoryMb, long DiskGb, int Gpus, int MaxVms);
}

/// <summary>
/// Interned names and name sets: equal names are the same string and equal sets the same array, so the
/// scan compares references. The vocabularies (zones, images, runtimes) are small; they are kept for the
/// life of the process.
/// </summary>
internal static class Names
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string[]> Sets = new(StringComparer.Ordinal);

    public static string Intern(string name) => string.Intern(name);

    /// <summary>Zones compare ignoring case: lower-cased once, then interned.</summary>
    public static string? Zone(string? zone) => zone is null ? null : string.Intern(zone.ToLowerInvariant());

    /// <summary>The one shared array for this set of names (order and duplicates do not matter).</summary>
    public static string[] InternSet(string[] names)
    {
        if (names.Length == 0) return [];
        var key = string.Join('\n', names.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal));
        return Sets.GetOrAdd(key, k => k.Split('\n').Select(string.Intern).ToArray());
    }

    /// <summary>Equality of two interned names (both came through <see cref="Intern"/>, <see cref="Zone"/> or <see cref="InternSet"/>).</summary>
    public static bool Same(string a, string b) => ReferenceEquals(a, b);
}
