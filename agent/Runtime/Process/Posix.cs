using System.Globalization;
using System.Runtime.InteropServices;

namespace Aetherium.Agent.Runtime.Process;

/// <summary>The few POSIX calls .NET does not expose: signals to process groups, who is in a group or runs as a user, file owners.</summary>
public static partial class Posix
{
    public const int SigTerm = 15;
    public const int SigKill = 9;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int KillNative(int pid, int signal);

    /// <summary>kill(2); false when no such process (or group) exists any more.</summary>
    public static bool Kill(int pid, int signal) => KillNative(pid, signal) == 0;

    /// <summary>Signals every process of the group whose id is <paramref name="pgid"/>.</summary>
    public static bool KillGroup(int pgid, int signal) => pgid > 1 && KillNative(-pgid, signal) == 0;

    [LibraryImport("libc", EntryPoint = "lchown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int LchownNative(string path, int owner, int group);

    /// <summary>lchown(2): a link itself, never what it points to.</summary>
    public static void Chown(string path, int owner, int group)
    {
        if (LchownNative(path, owner, group) != 0)
            throw new IOException($"cannot give {path} to {owner}:{group} (errno {Marshal.GetLastPInvokeError()})");
    }

    /// <summary>Whether a process exists and is not a zombie waiting to be reaped.</summary>
    public static bool IsAlive(int pid)
    {
        var stat = ReadStat(pid);
        return stat is not null && stat.Value.State != 'Z' && stat.Value.State != 'X';
    }

    /// <summary>Live processes whose process group is <paramref name="pgid"/> (from /proc/*/stat).</summary>
    public static IReadOnlyList<int> GroupMembers(int pgid)
    {
        var members = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) continue;
            var stat = ReadStat(pid);
            if (stat is { } s && s.ProcessGroup == pgid && s.State != 'Z' && s.State != 'X') members.Add(pid);
        }
        return members;
    }

    /// <summary>Live processes with <paramref name="uid"/> as their real, effective, saved or filesystem user id (from /proc/*/status).</summary>
    public static IReadOnlyList<int> ProcessesOfUser(int uid)
    {
        var owned = new List<int>();
        var id = uid.ToString(CultureInfo.InvariantCulture);
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) continue;
            try
            {
                var uids = File.ReadLines(Path.Combine(dir, "status")).FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal));
                if (uids is not null && uids[4..].Split('\t', StringSplitOptions.RemoveEmptyEntries).Contains(id) && IsAlive(pid)) owned.Add(pid);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // gone meanwhile
            }
        }
        return owned;
    }

    /// <summary>/proc/PID/stat: "pid (comm) state ppid pgrp ..."; comm may hold spaces and parentheses.</summary>
    public static (char State, int ParentPid, int ProcessGroup)? ReadStat(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        var close = text.LastIndexOf(')');
        if (close < 0) return null;
        var fields = text[(close + 2)..].Split(' ');
        return fields.Length < 3 ? null
            : (fields[0][0], int.Parse(fields[1], CultureInfo.InvariantCulture), int.Parse(fields[2], CultureInfo.InvariantCulture));
    }
}
