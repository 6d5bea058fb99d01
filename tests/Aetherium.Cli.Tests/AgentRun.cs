using System.Diagnostics;
using Aetherium.Hosting.Infrastructure;

namespace Aetherium.Cli.Tests;

/// <summary>
/// Runs the "run it by hand" line that <c>aetherium workers token</c> prints, in bash, with <c>aetherium-agent</c>
/// on PATH (a wrapper around the agent's build output) and the simulated runtime (no real VMs needed here).
/// </summary>
public sealed class AgentRun : IAsyncDisposable
{
    private readonly List<string> _output = [];
    private readonly string _directory = Directory.CreateTempSubdirectory("aetherium-cli-agent-").FullName;
    private Process? _process;

    public string Output { get { lock (_output) return string.Join('\n', _output); } }

    public async Task StartAsync(string shownCommand)
    {
        var agentDll = Path.Combine(Shell.Repository, "agent", "bin", Shell.Configuration, "net10.0", "aetherium-agent.dll");
        var bin = Directory.CreateDirectory(Path.Combine(_directory, "bin")).FullName;
        var wrapper = Path.Combine(bin, "aetherium-agent");
        await File.WriteAllTextAsync(wrapper, $"#!/bin/sh\nexec dotnet '{agentDll}' \"$@\"\n");
        File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        _process = await ChildProcess.StartAsync("bash",
            ["-c", $"{shownCommand} --runtime simulated --data-dir '{Path.Combine(_directory, "data")}'"],
            environment: new Dictionary<string, string?> { ["PATH"] = $"{bin}:{Environment.GetEnvironmentVariable("PATH")}", ["NO_COLOR"] = "1" },
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
