using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Aetherium.Hosting.Infrastructure;
using Xunit;

namespace Aetherium.Cli.Tests;

public sealed record CliResult(int ExitCode, string Out, string Err)
{
    public JsonNode Json() => JsonNode.Parse(Out) ?? throw new Xunit.Sdk.XunitException("stdout is JSON null");

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Out}\n--- stderr\n{Err}";
}

/// <summary>
/// One user's shell: the built <c>aetherium</c> run as a process (<c>dotnet aetherium.dll ...</c>) with a home and
/// config directory of its own, AETHERIUM_GATEWAY pointing at the system under test, stdin piped.
/// </summary>
public sealed class Shell : IDisposable
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(120);

    public Shell(string gateway)
    {
        Environment["HOME"] = Home;
        Environment["XDG_CONFIG_HOME"] = Path.Combine(Home, "xdg-config");
        Environment["AETHERIUM_GATEWAY"] = gateway;
        Environment["NO_COLOR"] = "1";
        Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
    }

    public string Home { get; } = Directory.CreateTempSubdirectory("aetherium-cli-home-").FullName;
    public Dictionary<string, string?> Environment { get; } = new();
    public string ConfigDirectory => Path.Combine(Environment["XDG_CONFIG_HOME"]!, "aetherium");
    public string CredentialsFile => Path.Combine(ConfigDirectory, "credentials.json");

#if DEBUG
    public const string Configuration = "Debug";
#else
    public const string Configuration = "Release";
#endif
    public static string Repository { get; } = RepositoryRoot();
    public static string CliDll { get; } = Path.Combine(Repository, "cli", "Aetherium.Cli", "bin", Configuration, "net10.0", "aetherium.dll");

    public Task<CliResult> RunAsync(params string[] args) => RunWithInputAsync(null, args);

    /// <summary>Runs one command to its end; <paramref name="stdin"/> is piped in (empty when null).</summary>
    public async Task<CliResult> RunWithInputAsync(string? stdin, params string[] args)
    {
        var output = new StringBuilder();
        var error = new StringBuilder();
        var process = await StartProcessAsync(args, line => { lock (output) output.AppendLine(line); }, line => { lock (error) error.AppendLine(line); });
        if (stdin is not null) await process.StandardInput.WriteAsync(stdin);
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(CommandTimeout);
        try { await process.WaitForExitAsync(timeout.Token); }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new Xunit.Sdk.XunitException($"aetherium {string.Join(' ', args)} did not finish within {CommandTimeout}: {output}{error}");
        }
        process.WaitForExit(); // drains the output events
        lock (output) lock (error) return new CliResult(process.ExitCode, output.ToString(), error.ToString());
    }

    /// <summary>Starts a long-running command (watch) whose output lines the test reads as they come.</summary>
    public async Task<RunningCommand> StartAsync(params string[] args)
    {
        var running = new RunningCommand();
        running.Process = await StartProcessAsync(args, running.AddLine, running.AddError);
        running.Process.StandardInput.Close();
        return running;
    }

    private Task<Process> StartProcessAsync(string[] args, Action<string> onOutput, Action<string> onError)
    {
        Assert.True(File.Exists(CliDll), $"the CLI is built at {CliDll}");
        var environment = new Dictionary<string, string?>(Environment);
        // The test runner's own settings are not the user's.
        foreach (var name in System.Environment.GetEnvironmentVariables().Keys.Cast<string>().Where(n => n.StartsWith("AETHERIUM_", StringComparison.Ordinal)))
            environment.TryAdd(name, null);
        // SIGINT at its default, as in a terminal: InterruptAsync ends a watch as Ctrl+C does.
        var (file, arguments) = ChildProcess.WithDefaultSigint("dotnet", [CliDll, .. args]);
        return ChildProcess.StartAsync(file, arguments, workingDirectory: Home, environment: environment,
            onOutput: onOutput, onError: onError);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Aetherium.sln"))) return dir.FullName;
        throw new InvalidOperationException("Aetherium.sln not found above the test's directory");
    }

    public void Dispose()
    {
        try { Directory.Delete(Home, recursive: true); }
        catch (IOException) { }
    }
}

/// <summary>A command still running; its stdout lines arrive in <see cref="Lines"/>.</summary>
public sealed class RunningCommand : IAsyncDisposable
{
    private readonly List<string> _lines = [];
    private readonly List<string> _errors = [];
    private readonly SemaphoreSlim _arrived = new(0);

    public Process Process { get; set; } = null!;
    public IReadOnlyList<string> Lines { get { lock (_lines) return _lines.ToList(); } }
    public string Errors { get { lock (_errors) return string.Join('\n', _errors); } }

    public void AddLine(string line)
    {
        lock (_lines) _lines.Add(line);
        _arrived.Release();
    }

    public void AddError(string line)
    {
        lock (_errors) _errors.Add(line);
        _arrived.Release();
    }

    /// <summary>The first stdout line that matches, waiting for it up to <paramref name="timeout"/>.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (Lines.FirstOrDefault(match) is { } line) return line;
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || Process.HasExited && !await _arrived.WaitAsync(TimeSpan.FromMilliseconds(200)))
                throw new Xunit.Sdk.XunitException($"{what}: not seen within {timeout} (exited: {Process.HasExited}); stdout:\n{string.Join('\n', Lines)}\nstderr:\n{Errors}");
            await _arrived.WaitAsync(left < TimeSpan.FromSeconds(1) ? left : TimeSpan.FromSeconds(1));
        }
    }

    /// <summary>Ctrl+C, as a user ends a watch; the exit code.</summary>
    public async Task<int> InterruptAsync()
    {
        await ChildProcess.StopAsync(Process, ChildProcess.SIGINT, TimeSpan.FromSeconds(10));
        Process.WaitForExit();
        return Process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!Process.HasExited) await ChildProcess.StopAsync(Process, ChildProcess.SIGKILL, TimeSpan.FromSeconds(5));
    }
}
