using Aetherium.Testing;

namespace Aetherium.EndToEnd.Tests;

/// <summary>The process driver's VMs as the kernel sees them: processes whose environment names the VM.</summary>
public static class VmProcesses
{
    public const int SIGCONT = 18, SIGSTOP = 19;

    /// <summary>Live processes whose environment holds AETHERIUM_VM_ID=<paramref name="vmId"/>.</summary>
    public static List<int> Of(Guid vmId) => ProcessScan.WithEnvironment("AETHERIUM_VM_ID", vmId.ToString()).Select(p => p.Pid).ToList();

    /// <summary>Whether <paramref name="ancestor"/> is a parent, grandparent… of <paramref name="pid"/>.</summary>
    public static bool Descends(int pid, int ancestor)
    {
        for (var p = pid; p > 1 && Stat(p) is { } s; p = s.Parent)
            if (s.Parent == ancestor) return true;
        return false;
    }

    /// <summary>The process and its ancestors, each with its state, for failure messages.</summary>
    public static string Chain(int pid)
    {
        var chain = new List<string>();
        for (var p = pid; p > 0 && chain.Count < 16; )
        {
            var s = Stat(p);
            chain.Add(s is { } st ? $"{p}({st.State})" : $"{p}(gone)");
            if (s is null) break;
            p = s.Value.Parent;
        }
        return string.Join(" < ", chain);
    }

    private static (char State, int Parent)? Stat(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return (fields[0][0], int.Parse(fields[1]));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException) { return null; }
    }
}
