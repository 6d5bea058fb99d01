using System.Diagnostics;
using Aetherium.Hosting.Infrastructure;

namespace Aetherium.Cli.Tests;

/// <summary>
/// Runs the "run the agent by hand" commands that <c>aetherium workers token</c> prints, in bash, as printed, in an
/// empty directory: they fetch the agent package from the gateway and run it. Only the environment chooses the
/// simulated runtime and a data directory of its own (no real VMs needed here).
/// </summary>
public sealed class AgentRun : IAsyncDisposable
{
    private readonly List<string> _output = [];
    private readonly string _directory = Directory.CreateTempSubdirectory("aetherium-cli-agent-").FullName;
    private Process? _process;

    public string Output { get { lock (_output) return string.Join('\n', _output); } }

    public async Task StartAsync(string shownCommands)
    {
        var work = Directory.CreateDirectory(Path.Combine(_directory, "work")).FullName;
        _process = await ChildProcess.StartAsync("bash", ["-euo", "pipefail", "-c", shownCommands], workingDirectory: work,
            environment: new Dictionary<string, string?>
            {
                ["AETHERIUM_RUNTIME"] = "simulated",
                ["AETHERIUM_DATA_DIR"] = Path.Combine(_directory, "data"),
                ["NO_COLOR"] = "1",
            },
            onOutput: Add, onError: Add);
    }

    private void Add(string line)
    {
        lock (_output) _output.Add(line);
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false }) await ChildProcess.StopAsync(_process, ChildProcess.SIGTERM, TimeSpan.FromSeconds(20));
        try { Directory.Delete(_directory, recursive: true); }
        catch (IOException) { }
    }
}
