using System.Globalization;

namespace Aetherium.Agent.Runtime.Process;

/// <summary>cgroup v2: memory.max, memory.swap.max and cpu.max in a child of the agent's own cgroup.</summary>
internal sealed class CgroupV2Limiter(string parent, bool cpu) : ResourceLimiter
{
    private const string Root = "/sys/fs/cgroup";

    public override string Mode => "cgroup-v2";

    public override void Release() => TryRemoveEmpty(parent);

    public static CgroupV2Limiter? TryCreate(List<string> reasons)
    {
        if (!File.Exists(Path.Combine(Root, "cgroup.controllers")))
        {
            reasons.Add("no cgroup v2 unified hierarchy at /sys/fs/cgroup");
            return null;
        }
        try
        {
            var own = Path.Join(Root, OwnCgroup(c => c.Length == 0) ?? "/");
            var available = File.ReadAllText(Path.Combine(own, "cgroup.controllers")).Split(' ', StringSplitOptions.TrimEntries);
            if (!available.Contains("memory"))
            {
                reasons.Add("cgroup v2 memory controller not delegated to the agent's cgroup");
                return null;
            }
            var cpu = available.Contains("cpu");
            var enable = cpu ? "+memory +cpu" : "+memory";
            if (!TryWrite(Path.Combine(own, "cgroup.subtree_control"), enable))
            {
                // "No internal processes": a cgroup that holds processes cannot hand controllers to
                // children, so the agent moves itself into a leaf first (what Delegate=yes expects).
                var leaf = Path.Combine(own, "agent");
                Directory.CreateDirectory(leaf);
                File.WriteAllText(Path.Combine(leaf, "cgroup.procs"), Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
                File.WriteAllText(Path.Combine(own, "cgroup.subtree_control"), enable);
            }
            var parent = Path.Combine(own, "aetherium-vms");
            if (!CanCreateChildren(parent, reasons, "cgroup v2")) return null;
            File.WriteAllText(Path.Combine(parent, "cgroup.subtree_control"), enable);
            return new CgroupV2Limiter(parent, cpu);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            reasons.Add($"cgroup v2 not writable: {e.Message}");
            return null;
        }
    }

    private static bool TryWrite(string file, string value)
    {
        try
        {
            File.WriteAllText(file, value);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }

    public override IVmLimits Create(Guid vmId, int cpuCores, int memoryMb, bool managedRuntime = false)
    {
        var dir = Path.Combine(parent, vmId.ToString("N"));
        ResetStale(dir);
        Directory.CreateDirectory(dir);
        if (memoryMb > 0)
            File.WriteAllText(Path.Combine(dir, "memory.max"), ((long)memoryMb * 1024 * 1024).ToString(CultureInfo.InvariantCulture));
        var swapCapped = memoryMb > 0 && File.Exists(Path.Combine(dir, "memory.swap.max")) && TryWrite(Path.Combine(dir, "memory.swap.max"), "0");
        var cpuLimited = cpu && cpuCores > 0 && TryWrite(Path.Combine(dir, "cpu.max"), $"{cpuCores * 100_000} 100000");
        var description = "cgroup v2: " + (memoryMb > 0 ? $"memory {Mib(memoryMb)}{(swapCapped ? " (no swap)" : "")}, " : "memory not limited, ") +
                          (cpuLimited ? $"cpu {cpuCores} core(s) (cpu.max)" : "cpu not limited");
        return new Limits(dir, description);
    }

    private sealed class Limits(string dir, string description) : IVmLimits
    {
        public string Description => description;

        public string ShellPrelude => $"echo $$ > {Quote(Path.Combine(dir, "cgroup.procs"))} || exit {LimitSetupFailedExitCode}; ";

        public IReadOnlyList<int> Processes() => ReadProcs(dir);

        public bool OomKilled() => ReadKeyedCounter(Path.Combine(dir, "memory.events"), "oom_kill") > 0;

        public Task ReleaseAsync() => RemoveCgroupAsync(dir);
    }
}
