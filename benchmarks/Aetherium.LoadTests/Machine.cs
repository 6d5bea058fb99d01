using System.Globalization;
using System.Runtime;

namespace Aetherium.LoadTests;

/// <summary>What a figure depends on, from /proc: the machine's load and a process's memory.</summary>
public static class Machine
{
    /// <summary>The 1, 5 and 15 minute load averages ("n/a" off Linux).</summary>
    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    /// <summary>Resident set size (VmRSS) of a process, this one by default; 0 when it cannot be read.</summary>
    public static long ResidentBytes(int? pid = null)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid?.ToString(CultureInfo.InvariantCulture) ?? "self"}/status"))
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                    return long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException) { }
        return 0;
    }

    /// <summary>"rss 312 MiB, GC heap 120 MiB (workstation GC)" for this process.</summary>
    public static string ThisProcessMemory()
    {
        var gc = GC.GetGCMemoryInfo();
        return $"rss {Mib(ResidentBytes())}, GC heap {Mib(gc.HeapSizeBytes)} after the last GC, {Mib(GC.GetTotalMemory(false))} in use " +
               $"({(GCSettings.IsServerGC ? "server" : "workstation")} GC)";
    }

    public static string Mib(long bytes) => $"{bytes / 1048576.0:0} MiB";
}
