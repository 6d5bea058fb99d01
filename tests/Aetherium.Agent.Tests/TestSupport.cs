using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Aetherium.Agent.Runtime.Process;
using Aetherium.Contracts.Agent;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

// Process, cgroup and timing tests share two cores: one class at a time keeps them honest.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Aetherium.Agent.Tests;

/// <summary>
/// A directory that is removed after the test. Others may pass it (0711, as /var/lib is to an agent's data directory),
/// so VM users can reach what the agent gives them in a data directory made inside it.
/// </summary>
public sealed class TempDir : IDisposable
{
    public string Path { get; } = Passable(Directory.CreateTempSubdirectory("aetherium-agent-test-").FullName);

    private static string Passable(string path)
    {
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        return path;
    }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

public static class Vms
{
    public static DesiredVmData Vm(string name = "vm", string? command = "exec sleep 600", string power = PowerStates.Running,
        long generation = 1, int cpu = 1, int memoryMb = 256, int port = 0, Guid? id = null) =>
        new(id ?? Guid.NewGuid(), name, "ubuntu-24.04", cpu, memoryMb, 10, 0, power, command, port, generation);

    public static DesiredStateData Desired(long version, params DesiredVmData[] vms) => new(version, vms);

    public static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    /// <summary>The pid in a process-driver state reason ("pid 1234; cgroup v1: ...").</summary>
    public static int PidIn(string? reason)
    {
        Assert.NotNull(reason);
        Assert.StartsWith("pid ", reason);
        return int.Parse(reason[4..reason.IndexOf(';')]);
    }
}

/// <summary>Logs to the test's output, so a failing test shows what the agent said.</summary>
public sealed class TestLoggerProvider(ITestOutputHelper output) : ILoggerProvider
{
    /// <summary>Every line logged, to assert on (no token in any of them).</summary>
    public System.Collections.Concurrent.ConcurrentQueue<string> Lines { get; } = new();

    public ILogger CreateLogger(string categoryName) => new TestLogger(output, categoryName, Lines);

    public void Dispose()
    {
    }

    public static ILoggerFactory Factory(ITestOutputHelper output, LogLevel level = LogLevel.Information) =>
        LoggerFactory.Create(b => b.AddProvider(new TestLoggerProvider(output)).SetMinimumLevel(level));

    private sealed class TestLogger(ITestOutputHelper output, string category, System.Collections.Concurrent.ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var line = $"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel,-11} {category}: {formatter(state, exception)}{(exception is null ? "" : " " + exception)}";
            lines.Enqueue(line);
            try
            {
                output.WriteLine(line);
            }
            catch (InvalidOperationException)
            {
                // The test already ended; a late log line has nowhere to go.
            }
        }
    }
}

/// <summary>Runs commands and the real aetherium-agent executable as child processes.</summary>
public static class Shell
{
    public static string Run(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in arguments) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', arguments)} failed: {process.StandardError.ReadToEnd()}");
        return output;
    }
}

/// <summary>The agent as built in its own output directory.</summary>
public static class AgentBinary
{
    public static string Directory { get; } = typeof(AgentBinary).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
        .Cast<System.Reflection.AssemblyMetadataAttribute>().Single(a => a.Key == "AgentDirectory").Value!;

    public static IReadOnlyList<string> Command { get; } = [System.IO.Path.Combine(Directory, "aetherium-agent")];
}

/// <summary>`aetherium-agent …` as a real child process, its output captured.</summary>
public sealed class AgentProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private AgentProcess(Process process) => _process = process;

    public static AgentProcess Start(IEnumerable<string> arguments, IDictionary<string, string>? environment = null, ITestOutputHelper? echo = null)
    {
        var command = AgentBinary.Command;
        var start = new ProcessStartInfo(command[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var part in command.Skip(1).Concat(arguments)) start.ArgumentList.Add(part);
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("AETHERIUM_", StringComparison.Ordinal)).ToList()) start.Environment.Remove(key);
        if (environment is not null)
            foreach (var (k, v) in environment) start.Environment[k] = v;
        var agent = new AgentProcess(new Process { StartInfo = start }) { Echo = echo };
        agent._process.OutputDataReceived += (_, e) => agent.Append(e.Data);
        agent._process.ErrorDataReceived += (_, e) => agent.Append(e.Data);
        agent._process.Start();
        agent._process.BeginOutputReadLine();
        agent._process.BeginErrorReadLine();
        return agent;
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }

    public int Pid => _process.Id;

    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    public bool HasExited => _process.HasExited;

    /// <summary>For polling loops: a process that died ends the wait at once, with its output.</summary>
    public T Alive<T>(T value)
    {
        if (_process.HasExited) throw new InvalidOperationException($"the agent process exited with code {_process.ExitCode}:\n{Output}");
        return value;
    }

    public void Terminate() => Posix.Kill(_process.Id, Posix.SigTerm);

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    /// <summary>Where the process's output goes when it is disposed (so a failed test shows it).</summary>
    public ITestOutputHelper? Echo { get; init; }

    public async ValueTask DisposeAsync()
    {
        try
        {
            Echo?.WriteLine($"--- output of agent process {_process.Id} ---\n{Output}");
        }
        catch (InvalidOperationException)
        {
        }
        if (!_process.HasExited)
        {
            Terminate();
            try
            {
                await WaitForExitAsync(TimeSpan.FromSeconds(30));
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        _process.Dispose();
    }
}
