using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Aetherium.Hosting.Infrastructure;

/// <summary>
/// Starts child processes so that none outlives us, even when we are SIGKILLed: each child runs under
/// <c>setpriv --pdeathsig SIG</c>. Linux sends that signal when the *thread* that forked the child
/// exits, so every start happens on one long-lived launcher thread (LOCAL-INFRA.md). Each child also
/// gets a session of its own (<c>setsid</c>): Ctrl+C in a terminal signals the whole foreground process
/// group, and the AppHost, not the terminal, must decide the order in which things stop.
/// </summary>
public static class ChildProcess
{
    private static readonly BlockingCollection<(ProcessStartInfo Info, TaskCompletionSource<Process> Done)> Queue = new();
    private static readonly Lazy<Thread> Launcher = new(() =>
    {
        var t = new Thread(() =>
        {
            foreach (var (info, done) in Queue.GetConsumingEnumerable())
            {
                try { done.SetResult(Process.Start(info) ?? throw new InvalidOperationException($"Could not start {info.FileName}")); }
                catch (Exception ex) { done.SetException(ex); }
            }
        }) { IsBackground = true, Name = "aetherium-child-launcher" };
        t.Start();
        return t;
    });

    /// <summary>
    /// Starts <paramref name="file"/> with <paramref name="args"/>; the child gets <paramref name="deathSignal"/>
    /// when this process dies. <paramref name="runAs"/> drops privileges to that user (PostgreSQL refuses root).
    /// </summary>
    public static Task<Process> StartAsync(
        string file, IEnumerable<string> args, string? workingDirectory = null,
        IDictionary<string, string?>? environment = null, string deathSignal = "TERM", string? runAs = null,
        Action<string>? onOutput = null, Action<string>? onError = null)
    {
        var info = new ProcessStartInfo("setsid")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        info.ArgumentList.Add("setpriv");
        if (runAs is not null && IsRoot)
        {
            info.ArgumentList.Add($"--reuid={runAs}");
            info.ArgumentList.Add($"--regid={runAs}");
            info.ArgumentList.Add("--init-groups");
        }
        info.ArgumentList.Add($"--pdeathsig={deathSignal}");
        info.ArgumentList.Add("--");
        info.ArgumentList.Add(file);
        foreach (var a in args) info.ArgumentList.Add(a);
        if (environment is not null)
            foreach (var (k, v) in environment)
            {
                if (v is null) info.Environment.Remove(k);
                else info.Environment[k] = v;
            }

        _ = Launcher.Value;
        var done = new TaskCompletionSource<Process>(TaskCreationOptions.RunContinuationsAsynchronously);
        Queue.Add((info, done));
        return done.Task.ContinueWith(t =>
        {
            var p = t.Result;
            p.OutputDataReceived += (_, e) => { if (e.Data is not null) onOutput?.Invoke(e.Data); };
            p.ErrorDataReceived += (_, e) => { if (e.Data is not null) (onError ?? onOutput)?.Invoke(e.Data); };
            p.BeginOutputReadLine();
            p.BeginErrorReadLine();
            return p;
        }, TaskContinuationOptions.ExecuteSynchronously);
    }

    public static bool IsRoot => geteuid() == 0;

    public const int SIGINT = 2, SIGKILL = 9, SIGTERM = 15;

    /// <summary>
    /// The command line that runs <paramref name="file"/> with SIGINT at its default disposition. A process
    /// started by a shell without job control (a CI job, `cmd &amp;`) inherits SIGINT ignored, passes that on,
    /// and .NET then never delivers SIGINT to it; whoever interrupts a child as a terminal's Ctrl+C would
    /// (the tests of the AppHost and the CLI) must undo that. GNU env 8.31+ does it just before exec.
    /// </summary>
    public static (string File, string[] Arguments) WithDefaultSigint(string file, IEnumerable<string> arguments) =>
        ("env", ["--default-signal=INT", file, .. arguments]);

    /// <summary>Sends a signal (Process.Kill is always SIGKILL, which orphans e.g. RabbitMQ's beam).</summary>
    public static bool Signal(int pid, int signal) => kill(pid, signal) == 0;

    /// <summary>Signals, waits up to <paramref name="grace"/>, then kills the whole tree.</summary>
    public static async Task StopAsync(Process process, int signal, TimeSpan grace)
    {
        try
        {
            if (process.HasExited) return;
            Signal(process.Id, signal);
            using var cts = new CancellationTokenSource(grace);
            try { await process.WaitForExitAsync(cts.Token); }
            catch (OperationCanceledException) { process.Kill(entireProcessTree: true); await process.WaitForExitAsync(); }
        }
        catch (InvalidOperationException) { /* never started or already reaped */ }
    }

    [DllImport("libc", SetLastError = true)] private static extern int kill(int pid, int sig);
    [DllImport("libc")] private static extern uint geteuid();
}
