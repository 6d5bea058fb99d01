using System.Diagnostics;
using Aetherium.Hosting.Infrastructure;
using Aetherium.Testing;

namespace Aetherium.AppHost.Tests;

/// <summary>
/// The real AppHost executable, run as a user runs it (private PostgreSQL and RabbitMQ in a state
/// directory of its own), marked so that every process it leads to can be found afterwards.
/// </summary>
public sealed class AppHostProcess : IAsyncDisposable
{
    public const string MarkerVariable = "AETHERIUM_TEST_MARKER";
    private readonly List<string> _output = [];
    private Process? _process;

    public string Marker { get; } = Guid.NewGuid().ToString("N");
    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), $"aetherium-apphost-{Guid.NewGuid():N}"[..30]);
    public int GatewayPort { get; } = Ports.Free();
    public int DashboardPort { get; } = Ports.Free();
    public Process Process => _process ?? throw new InvalidOperationException("not started");

    public string Output { get { lock (_output) return string.Join('\n', _output); } }

    public static string RepositoryRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Aetherium.sln"))) return dir.FullName;
            throw new InvalidOperationException("repository root not found");
        }
    }

    public static string AppHostDll => Path.Combine(RepositoryRoot, "AppHost", "bin",
        Hosting.DistributedApplicationBuilder.BuildConfiguration, "net10.0", "Aetherium.AppHost.dll");

    public async Task StartAsync(IDictionary<string, string?>? environment = null)
    {
        var env = new Dictionary<string, string?>
        {
            [MarkerVariable] = Marker,
            // The test run's shared servers must not leak in: this AppHost starts its own.
            [SharedInfrastructure.PostgresVariable] = null,
            [SharedInfrastructure.MessagingVariable] = null,
            ["NO_COLOR"] = "1",
        };
        foreach (var (k, v) in environment ?? new Dictionary<string, string?>()) env[k] = v;
        // SIGINT at its default, as in a terminal: the shutdown tests interrupt it as Ctrl+C does.
        var (file, arguments) = ChildProcess.WithDefaultSigint("dotnet",
            [AppHostDll, $"--AppHost:DataDirectory={DataDirectory}", $"--Parameters:gateway-port={GatewayPort}", "--Parameters:admin-password=test-admin-password",
             $"--AppHost:DashboardUrl=http://localhost:{DashboardPort}"]);
        _process = await ChildProcess.StartAsync(file, arguments,
            workingDirectory: RepositoryRoot, environment: env, onOutput: Add, onError: Add);
    }

    private void Add(string line)
    {
        lock (_output) _output.Add(line);
    }

    public Task WaitForOutputAsync(string text, TimeSpan timeout) =>
        Eventually.TrueAsync(() => Task.FromResult(Output.Contains(text) || Process.HasExited), timeout, $"the AppHost prints '{text}'")
            .ContinueWith(t =>
            {
                if (!Output.Contains(text)) throw new InvalidOperationException($"The AppHost did not print '{text}':\n{Output}");
            });

    public IReadOnlyList<ScannedProcess> Descendants() => ProcessScan.WithEnvironment(MarkerVariable, Marker);

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            ChildProcess.Signal(_process.Id, ChildProcess.SIGTERM);
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        }
        foreach (var p in Descendants()) ChildProcess.Signal(p.Pid, ChildProcess.SIGKILL);
        try { Directory.Delete(DataDirectory, recursive: true); } catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { }
    }
}
