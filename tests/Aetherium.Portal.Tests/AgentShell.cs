using System.Diagnostics;
using Aetherium.Hosting.Infrastructure;

namespace Aetherium.Portal.Tests;

/// <summary>
/// A shell command run as a machine owner runs what the portal shows (bash -c), in a directory of its own, with
/// the simulated runtime so its VMs need no cgroups. Stopping signals its whole process group: the shell and the
/// agent it started.
/// </summary>
public sealed class AgentShell : IAsyncDisposable
{
    private readonly List<string> _output = [];
    private Process? _process;

    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("aetherium-portal-agent-").FullName;
    public string Output { get { lock (_output) return string.Join('\n', _output); } }

    public async Task StartAsync(string command, IDictionary<string, string?>? environment = null)
    {
        var env = new Dictionary<string, string?>
        {
            ["AETHERIUM_RUNTIME"] = "simulated",
            ["AETHERIUM_DATA_DIR"] = Path.Combine(Directory, "data"),
            ["NO_COLOR"] = "1",
        };
        foreach (var (k, v) in environment ?? new Dictionary<string, string?>()) env[k] = v;
        _process = await ChildProcess.StartAsync("bash", ["-c", command], workingDirectory: Directory, environment: env,
            onOutput: Add, onError: Add);
    }

    private void Add(string line)
    {
        lock (_output) _output.Add(line);
    }

    public bool HasExited => _process?.HasExited ?? true;

    /// <summary>SIGTERM to the process group (ChildProcess gives the shell a session of its own), then SIGKILL.</summary>
    public async Task StopAsync()
    {
        if (_process is null || _process.HasExited) return;
        ChildProcess.Signal(-_process.Id, ChildProcess.SIGTERM);
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try { await _process.WaitForExitAsync(grace.Token); }
        catch (OperationCanceledException)
        {
            ChildProcess.Signal(-_process.Id, ChildProcess.SIGKILL);
            await _process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        try { System.IO.Directory.Delete(Directory, recursive: true); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { }
    }
}
