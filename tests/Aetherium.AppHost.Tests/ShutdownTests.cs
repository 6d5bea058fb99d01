using Aetherium.Testing;
using Aetherium.Hosting.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Aetherium.AppHost.Tests;

/// <summary>
/// Ctrl+C, SIGTERM and SIGKILL of the AppHost: no PostgreSQL, RabbitMQ (beam, epmd) or service
/// process survives it (DESIGN §3 point 6).
/// </summary>
public sealed class ShutdownTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(ChildProcess.SIGINT)]
    [InlineData(ChildProcess.SIGTERM)]
    [InlineData(ChildProcess.SIGKILL)]
    public async Task Nothing_the_AppHost_started_outlives_it(int signal)
    {
        await using var apphost = new AppHostProcess();
        await apphost.StartAsync();
        await apphost.WaitForOutputAsync("all resources running", TimeSpan.FromMinutes(3));
        output.WriteLine(apphost.Output.Split('\n').First(l => l.Contains("all resources running")));

        var running = apphost.Descendants();
        Assert.Contains(running, p => p.Command == "postgres");
        Assert.Contains(running, p => p.Command == "beam.smp");
        Assert.Contains(running, p => p.Command == "epmd");
        foreach (var service in new[] { "Identity", "Inventory", "Scheduler", "Lease", "Gateway" })
            Assert.Contains(running, p => p.CommandLine.Contains($"Aetherium.{service}.dll"));

        ChildProcess.Signal(apphost.Process.Id, signal);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        try { await apphost.Process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60)); }
        catch (TimeoutException)
        {
            throw new Xunit.Sdk.XunitException($"the AppHost still runs 60 s after signal {signal}; its last output:\n"
                + string.Join('\n', apphost.Output.Split('\n').TakeLast(30)));
        }
        output.WriteLine($"signal {signal} to exit: {clock.Elapsed.TotalSeconds:0.0} s");
        if (signal != ChildProcess.SIGKILL) Assert.Equal(0, apphost.Process.ExitCode);

        var deadline = DateTime.UtcNow.AddSeconds(30);
        IReadOnlyList<ScannedProcess> survivors;
        while ((survivors = apphost.Descendants()).Count > 0 && DateTime.UtcNow < deadline) await Task.Delay(200);
        Assert.True(survivors.Count == 0, "still running: " + string.Join("; ", survivors.Select(p => $"{p.Pid} {p.CommandLine}")));
    }

    [Fact]
    public async Task A_missing_prerequisite_is_one_line_saying_how_to_install_it()
    {
        await using var apphost = new AppHostProcess();
        await apphost.StartAsync(new Dictionary<string, string?> { ["AETHERIUM_PG_BIN"] = "/nonexistent" });
        await apphost.Process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(1, apphost.Process.ExitCode);
        var line = Assert.Single(apphost.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("apt-get install -y postgresql", line);
        Assert.Empty(apphost.Descendants());
    }
}
