using System.Globalization;
using Microsoft.Extensions.Logging;

namespace Aetherium.Agent.Runtime.Process;

public enum LimitMode { Auto, CgroupV2, CgroupV1, Rlimit }

/// <summary>The limits of one VM's process tree, set up before it starts.</summary>
public interface IVmLimits
{
    /// <summary>What is enforced, in words, for logs and the VM state reason.</summary>
    string Description { get; }

    /// <summary>Shell commands the launcher runs before it execs the workload (joining the cgroup, ulimit).</summary>
    string ShellPrelude { get; }

    /// <summary>Environment the workload needs to live within its limits.</summary>
    IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string>();

    /// <summary>Processes inside the VM's cgroup (empty without cgroups).</summary>
    IReadOnlyList<int> Processes();

    /// <summary>Whether the kernel's OOM killer has killed something in the VM.</summary>
    bool OomKilled();

    /// <summary>Removes the cgroup once its processes are gone.</summary>
    Task ReleaseAsync();
}

/// <summary>
/// Chooses how limits are enforced on this machine: cgroup v2 when the unified hierarchy is mounted
/// and writable, else cgroup v1 (memory, and cpu when writable), else RLIMIT_AS. VM cgroups are made
/// under the agent's own cgroup (systemd delegates it with Delegate=yes), never elsewhere.
/// </summary>
public abstract class ResourceLimiter
{
    public const int LimitSetupFailedExitCode = 121;

    /// <summary>"cgroup-v2", "cgroup-v1" or "rlimit".</summary>
    public abstract string Mode { get; }

    /// <param name="managedRuntime">the workload is a .NET process (the built-in one), which reserves address space up front</param>
    public abstract IVmLimits Create(Guid vmId, int cpuCores, int memoryMb, bool managedRuntime = false);

    /// <summary>Removes the agent's parent cgroups once no VM is left in them (best effort: another driver may still use them).</summary>
    public virtual void Release()
    {
    }

    internal static void TryRemoveEmpty(string? dir)
    {
        if (dir is null || !Directory.Exists(dir) || Directory.EnumerateDirectories(dir).Any()) return;
        try
        {
            Directory.Delete(dir);
        }
        catch (IOException)
        {
        }
    }

    public static ResourceLimiter Detect(LimitMode mode, ILogger logger)
    {
        var reasons = new List<string>();
        if (mode is LimitMode.Auto or LimitMode.CgroupV2)
        {
            var v2 = CgroupV2Limiter.TryCreate(reasons);
            if (v2 is not null) return Chosen(v2);
        }
        if (mode is LimitMode.Auto or LimitMode.CgroupV1)
        {
            var v1 = CgroupV1Limiter.TryCreate(reasons);
            if (v1 is not null) return Chosen(v1);
        }
        return Chosen(new RlimitLimiter());

        ResourceLimiter Chosen(ResourceLimiter limiter)
        {
            logger.LogInformation("VM resource limits enforced through {Mode}{Why}", limiter.Mode,
                reasons.Count == 0 ? "" : " (" + string.Join("; ", reasons) + ")");
            return limiter;
        }
    }

    /// <summary>This process's cgroup path in one hierarchy, from /proc/self/cgroup ("id:controllers:path").</summary>
    internal static string? OwnCgroup(Func<string, bool> hierarchy)
    {
        foreach (var line in File.ReadAllLines("/proc/self/cgroup"))
        {
            var parts = line.Split(':', 3);
            if (parts.Length == 3 && hierarchy(parts[1])) return parts[2];
        }
        return null;
    }

    /// <summary>Creates and removes a probe directory: the only honest test that the kernel lets us make cgroups here.</summary>
    internal static bool CanCreateChildren(string parent, List<string> reasons, string what)
    {
        try
        {
            Directory.CreateDirectory(parent);
            var probe = Path.Combine(parent, $"probe-{Environment.ProcessId}-{Guid.NewGuid():N}");
            Directory.CreateDirectory(probe);
            Directory.Delete(probe);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            reasons.Add($"{what} not writable: {e.Message}");
            return false;
        }
    }

    internal static string Mib(int memoryMb) => $"{memoryMb} MiB";

    internal static string Quote(string path) => "'" + path.Replace("'", "'\\''") + "'";

    internal static long ReadKeyedCounter(string file, string key)
    {
        try
        {
            foreach (var line in File.ReadLines(file))
            {
                var parts = line.Split(' ', 2);
                if (parts.Length == 2 && parts[0] == key) return long.Parse(parts[1], CultureInfo.InvariantCulture);
            }
        }
        catch (IOException)
        {
        }
        return 0;
    }

    internal static IReadOnlyList<int> ReadProcs(string dir)
    {
        try
        {
            return File.ReadAllLines(Path.Combine(dir, "cgroup.procs"))
                .Where(l => l.Length > 0).Select(l => int.Parse(l, CultureInfo.InvariantCulture)).ToList();
        }
        catch (IOException)
        {
            return [];
        }
    }

    /// <summary>rmdir of a cgroup fails with EBUSY while exiting tasks linger for a few milliseconds.</summary>
    internal static async Task RemoveCgroupAsync(string dir)
    {
        for (var attempt = 0; attempt < 40 && Directory.Exists(dir); attempt++)
        {
            try
            {
                Directory.Delete(dir);
                return;
            }
            catch (IOException)
            {
                foreach (var pid in ReadProcs(dir)) Posix.Kill(pid, Posix.SigKill);
                await Task.Delay(50);
            }
        }
    }

    /// <summary>A cgroup left by an earlier agent that died: kill what is in it and remove it.</summary>
    internal static void ResetStale(string dir)
    {
        if (!Directory.Exists(dir)) return;
        foreach (var pid in ReadProcs(dir)) Posix.Kill(pid, Posix.SigKill);
        RemoveCgroupAsync(dir).GetAwaiter().GetResult();
    }
}
