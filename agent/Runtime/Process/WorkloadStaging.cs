using Aetherium.Agent.Runtime.Isolation;
using Microsoft.Extensions.Logging;

namespace Aetherium.Agent.Runtime.Process;

/// <summary>
/// The built-in workload is the agent's own program, run as the VM's user (see <see cref="VmIsolation"/>), who must be
/// able to reach, read and run it. When the agent's folder is out of that user's reach (a private checkout, a 0700
/// temporary folder), its files are copied into &lt;data-dir&gt;/workload — the agent's, 0755, files 0644 (0755 for
/// programs), so VM users can run them and change nothing — and the workload runs from there.
/// </summary>
internal static class WorkloadStaging
{
    private const UnixFileMode ReadOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    private const UnixFileMode Runnable = ReadOnly | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    /// <summary>The command with its program (the last part: the apphost, or the assembly the dotnet host runs) staged where needed.</summary>
    public static IReadOnlyList<string> Reachable(IReadOnlyList<string> command, VmIsolation isolation, string dataDirectory, ILogger logger)
    {
        if (command.Count == 0 || isolation.Unreachable(command[^1]) is null) return command;
        var program = command[^1];
        var target = Path.Combine(dataDirectory, "workload");
        try
        {
            Copy(Path.GetDirectoryName(program)!, target);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning("The built-in workload could not be copied to {Target}: {Error}", target, ex.Message);
            return command;
        }
        var staged = command.ToArray();
        staged[^1] = Path.Combine(target, Path.GetFileName(program));
        logger.LogInformation("VM users cannot reach {Program}: the built-in workload runs from a copy in {Target}", program, target);
        return staged;
    }

    /// <summary>Copies what changed (by size and time); each file is replaced by a rename, so a running workload keeps its own.</summary>
    private static void Copy(string source, string target)
    {
        Directory.CreateDirectory(target, Runnable);
        File.SetUnixFileMode(target, Runnable);
        foreach (var dir in Directory.GetDirectories(source))
            Copy(dir, Path.Combine(target, Path.GetFileName(dir)));
        foreach (var file in Directory.GetFiles(source))
        {
            var to = Path.Combine(target, Path.GetFileName(file));
            var from = new FileInfo(file);
            var existing = new FileInfo(to);
            if (existing.Exists && existing.Length == from.Length && existing.LastWriteTimeUtc == from.LastWriteTimeUtc) continue;
            var partial = to + ".partial";
            File.Copy(file, partial, overwrite: true);
            File.SetUnixFileMode(partial, from.UnixFileMode.HasFlag(UnixFileMode.UserExecute) ? Runnable : ReadOnly);
            File.SetLastWriteTimeUtc(partial, from.LastWriteTimeUtc);
            File.Move(partial, to, overwrite: true);
        }
    }
}
