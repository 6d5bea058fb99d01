using System.Globalization;

namespace Aetherium.Agent.Runtime.Process;

/// <summary>cgroup v1: memory.limit_in_bytes (and memsw so swap cannot dodge it); cpu.cfs_quota_us when the cpu hierarchy is writable.</summary>
internal sealed class CgroupV1Limiter(string memoryParent, string? cpuParent) : ResourceLimiter
{
    private const long CfsPeriodUs = 100_000;

    public override string Mode => "cgroup-v1";

    public override void Release()
    {
        TryRemoveEmpty(memoryParent);
        TryRemoveEmpty(cpuParent);
    }

    public static CgroupV1Limiter? TryCreate(List<string> reasons)
    {
        const string memoryMount = "/sys/fs/cgroup/memory", cpuMount = "/sys/fs/cgroup/cpu";
        if (!File.Exists(Path.Combine(memoryMount, "memory.limit_in_bytes")))
        {
            reasons.Add("no cgroup v1 memory hierarchy");
            return null;
        }
        var ownMemory = OwnCgroup(c => c.Split(',').Contains("memory")) ?? "/";
        var memoryParent = Path.Join(memoryMount, ownMemory, "aetherium-vms");
        if (!CanCreateChildren(memoryParent, reasons, "cgroup v1 memory")) return null;
        string? cpuParent = null;
        if (File.Exists(Path.Combine(cpuMount, "cpu.cfs_quota_us")))
        {
            var candidate = Path.Join(cpuMount, OwnCgroup(c => c.Split(',').Contains("cpu")) ?? "/", "aetherium-vms");
            if (CanCreateChildren(candidate, reasons, "cgroup v1 cpu")) cpuParent = candidate;
        }
        return new CgroupV1Limiter(memoryParent, cpuParent);
    }

    public override IVmLimits Create(Guid vmId, int cpuCores, int memoryMb, bool managedRuntime = false)
    {
        var memory = Path.Combine(memoryParent, vmId.ToString("N"));
        ResetStale(memory);
        Directory.CreateDirectory(memory);
        var bytes = ((long)memoryMb * 1024 * 1024).ToString(CultureInfo.InvariantCulture);
        var swapCapped = false;
        if (memoryMb > 0)
        {
            File.WriteAllText(Path.Combine(memory, "memory.limit_in_bytes"), bytes);
            swapCapped = TryWrite(Path.Combine(memory, "memory.memsw.limit_in_bytes"), bytes);
        }
        string? cpu = null;
        if (cpuParent is not null && cpuCores > 0)
        {
            cpu = Path.Combine(cpuParent, vmId.ToString("N"));
            ResetStale(cpu);
            Directory.CreateDirectory(cpu);
            File.WriteAllText(Path.Combine(cpu, "cpu.cfs_period_us"), CfsPeriodUs.ToString(CultureInfo.InvariantCulture));
            File.WriteAllText(Path.Combine(cpu, "cpu.cfs_quota_us"), (cpuCores * CfsPeriodUs).ToString(CultureInfo.InvariantCulture));
        }
        var description = "cgroup v1: " + (memoryMb > 0 ? $"memory {Mib(memoryMb)}{(swapCapped ? " (swap included)" : "")}, " : "memory not limited, ") +
                          (cpu is null ? "cpu not limited (cpu hierarchy not writable)" : $"cpu {cpuCores} core(s) (cfs quota)");
        return new Limits(memory, cpu, description);
    }

    private static bool TryWrite(string file, string value)
    {
        try
        {
            if (!File.Exists(file)) return false;
            File.WriteAllText(file, value);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }

    private sealed class Limits(string memory, string? cpu, string description) : IVmLimits
    {
        public string Description => description;

        public string ShellPrelude =>
            $"echo $$ > {Quote(Path.Combine(memory, "cgroup.procs"))} " +
            (cpu is null ? "" : $"&& echo $$ > {Quote(Path.Combine(cpu, "cgroup.procs"))} ") +
            $"|| exit {LimitSetupFailedExitCode}; ";

        public IReadOnlyList<int> Processes() => ReadProcs(memory);

        public bool OomKilled() => ReadKeyedCounter(Path.Combine(memory, "memory.oom_control"), "oom_kill") > 0;

        public async Task ReleaseAsync()
        {
            await RemoveCgroupAsync(memory);
            if (cpu is not null) await RemoveCgroupAsync(cpu);
        }
    }
}
