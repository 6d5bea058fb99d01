using System.Diagnostics;
using Aetherium.Hosting;
using Aetherium.Hosting.Infrastructure;

namespace Aetherium.EndToEnd.Tests;

/// <summary>
/// The real aetherium-agent, run from its build output as a machine owner runs it, and as if on a machine of
/// its own: in cgroups of its own, as systemd's unit (Delegate=yes) gives it. Two agents on one test host
/// would otherwise share the VM cgroups they make under their common cgroup (…/aetherium-vms/&lt;vm id&gt;), and
/// the second to start a VM would clear the first one's copy as a stale leftover of its own.
/// </summary>
public sealed class AgentProcess : IAsyncDisposable
{
    private readonly List<string> _output = [];
    private readonly List<string> _cgroups = [];
    private Process? _process;

    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), $"aetherium-agent-{Guid.NewGuid():N}"[..30]);
    public string Output { get { lock (_output) return string.Join('\n', _output); } }
    public Process Process => _process ?? throw new InvalidOperationException("not started");

    public static string Dll(DistributedApplication app) =>
        Path.Combine(app.Builder.RepositoryRoot, "agent", "bin", DistributedApplicationBuilder.BuildConfiguration, "net10.0", "aetherium-agent.dll");

    /// <summary>Starts the agent; again after it died, it starts as the same installation in the same cgroups.</summary>
    public async Task StartAsync(DistributedApplication app, string controller, string token, string runtime = "process")
    {
        if (_process is { HasExited: false }) throw new InvalidOperationException("the agent is running");
        Directory.CreateDirectory(DataDirectory);
        var name = "aetherium-e2e-" + Guid.NewGuid().ToString("N")[..8];
        foreach (var parent in _cgroups.Count > 0 ? [] : OwnCgroups())
        {
            var dir = Path.Combine(parent, name);
            try { Directory.CreateDirectory(dir); _cgroups.Add(dir); }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { } // not delegated here: shared cgroups then
        }
        // The shell joins the cgroups and execs the agent: same pid, so signals reach the agent itself.
        var join = string.Concat(_cgroups.Select(c => $"echo $$ > '{c}/cgroup.procs' && "));
        _process = await ChildProcess.StartAsync("/bin/sh",
            ["-c", join + "exec dotnet \"$@\"", "aetherium-agent", Dll(app), "run", "--controller", controller, "--runtime", runtime, "--data-dir", DataDirectory],
            environment: new Dictionary<string, string?> { ["AETHERIUM_TOKEN"] = token, ["NO_COLOR"] = "1" },
            onOutput: Add, onError: Add);
    }

    private void Add(string line)
    {
        lock (_output) _output.Add(line);
    }

    /// <summary>kill -9: the agent dies without a word, as a crashed machine would.</summary>
    public void Kill() => ChildProcess.Signal(Process.Id, ChildProcess.SIGKILL);

    /// <summary>This process's memory and cpu cgroups (v1), or its unified one (v2), as directories.</summary>
    private static IEnumerable<string> OwnCgroups()
    {
        foreach (var line in File.ReadAllLines("/proc/self/cgroup"))
        {
            var parts = line.Split(':', 3);
            if (parts.Length != 3) continue;
            if (parts[1].Length == 0 && File.Exists("/sys/fs/cgroup/cgroup.controllers"))
                yield return "/sys/fs/cgroup" + parts[2];
            foreach (var controller in parts[1].Split(',').Where(c => c is "memory" or "cpu"))
                if (Directory.Exists($"/sys/fs/cgroup/{controller}")) yield return $"/sys/fs/cgroup/{controller}{parts[2]}";
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            await ChildProcess.StopAsync(_process, ChildProcess.SIGTERM, TimeSpan.FromSeconds(20));
        }
        foreach (var cgroup in _cgroups) RemoveTree(cgroup);
        try { Directory.Delete(DataDirectory, recursive: true); } catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { }
    }

    /// <summary>cgroupfs removes directories one by one, children first, and only once empty of processes.</summary>
    private static void RemoveTree(string dir)
    {
        try
        {
            foreach (var child in Directory.GetDirectories(dir)) RemoveTree(child);
            Directory.Delete(dir);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { }
    }
}
