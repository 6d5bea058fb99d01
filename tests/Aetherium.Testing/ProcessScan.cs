namespace Aetherium.Testing;

public sealed record ScannedProcess(int Pid, string Command, string CommandLine);

/// <summary>Finds processes by a variable in their environment (children inherit it), straight from /proc.</summary>
public static class ProcessScan
{
    public static IReadOnlyList<ScannedProcess> WithEnvironment(string name, string value)
    {
        var needle = $"{name}={value}";
        var found = new List<ScannedProcess>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid == Environment.ProcessId) continue;
            try
            {
                var environ = File.ReadAllText(Path.Combine(dir, "environ"));
                if (!environ.Split('\0').Contains(needle)) continue;
                var comm = File.ReadAllText(Path.Combine(dir, "comm")).Trim();
                var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ').Trim();
                if (cmdline.Length == 0) continue; // a zombie already on its way out
                found.Add(new ScannedProcess(pid, comm, cmdline));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { }
        }
        return found;
    }
}
