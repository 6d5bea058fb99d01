namespace Aetherium.Agent.Runtime.Process;

/// <summary>How to run this agent's own executable again (the built-in VM workload, the systemd unit).</summary>
public static class SelfCommand
{
    /// <summary>The apphost next to the agent's assembly when there is one, else the dotnet host and the assembly.</summary>
    public static IReadOnlyList<string> Resolve()
    {
        var assembly = typeof(SelfCommand).Assembly.Location;
        var directory = Path.GetDirectoryName(assembly)!;
        var apphost = Path.Combine(directory, "aetherium-agent");
        if (File.Exists(apphost)) return [apphost];
        return [DotnetHost(), assembly];
    }

    private static string DotnetHost()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host) return host;
        if (Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet") return path;
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, "dotnet");
            if (File.Exists(candidate)) return Path.GetFullPath(candidate);
        }
        return "dotnet";
    }
}
