using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using Aetherium.Agent.Runtime.Isolation;
using Aetherium.Contracts.Agent;
using Microsoft.Extensions.Logging;
using OsProcess = System.Diagnostics.Process;

namespace Aetherium.Agent.Runtime.Process;

/// <summary>
/// One VM of the process driver: a child process started in its own session (so the whole tree is
/// one process group), inside its cgroup or under its rlimit, as the VM's own user (see <see cref="VmSandbox"/>),
/// with its output kept, restarted on failure with backoff up to a maximum, and stopped with SIGTERM,
/// then SIGKILL after a grace period.
/// </summary>
internal sealed class SupervisedVm(Guid vmId, VmSandbox sandbox, ProcessDriverOptions options, ResourceLimiter limiter, ILogger logger, Action changed)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Lock _stateGate = new();
    private DesiredVmData? _spec;
    private string _state = AgentVmStates.Stopped;
    private string? _reason;
    private int _restarts;
    private Run? _run;

    public OutputLog Output { get; } = new(Path.Combine(sandbox.Directory, "output.log"), options.OutputLines);

    /// <summary>The VM's directory and user: its output log, its sign-in files, the workload's home.</summary>
    public VmSandbox Sandbox => sandbox;

    public VmRuntimeState State
    {
        get
        {
            lock (_stateGate)
                return new VmRuntimeState(vmId, _state, _reason, _restarts, _spec?.Generation ?? 0,
                    _spec?.CpuCores ?? 0, _spec?.MemoryMb ?? 0, _spec?.DiskGb ?? 0);
        }
    }

    public async Task StartAsync(DesiredVmData spec, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            if (_run is not null) return; // running, or between restarts: already under supervision
            IVmLimits limits;
            IReadOnlyDictionary<string, string> access;
            var step = "write the VM's sign-in files";
            try
            {
                access = VmAccessFiles.Write(sandbox, spec.Name, spec.Access);
                step = $"set up resource limits ({limiter.Mode})";
                limits = limiter.Create(vmId, spec.CpuCores, spec.MemoryMb, managedRuntime: string.IsNullOrWhiteSpace(spec.Command));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                lock (_stateGate) _spec = spec;
                SetState(AgentVmStates.Failed, $"could not {step}: {e.Message}");
                throw; // not applied: the reconciler's next pass tries again
            }
            lock (_stateGate)
            {
                _spec = spec;
                _restarts = 0;
            }
            logger.LogInformation("VM {VmId} ({Name}): limits {Limits}", vmId, spec.Name, limits.Description);
            SetState(AgentVmStates.Provisioning, limits.Description);
            var run = new Run(limits, access, sandbox);
            _run = run;
            run.Supervision = Task.Run(() => SuperviseAsync(spec, run), CancellationToken.None);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Stops the process tree (if any) and records the VM as stopped with this spec.</summary>
    public async Task StopAsync(DesiredVmData? spec, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            if (spec is not null) lock (_stateGate) _spec = spec;
            var run = _run;
            _run = null;
            var how = run is null ? null : await run.StopAsync(options.StopGrace);
            if (how is not null) logger.LogInformation("VM {VmId}: {How}", vmId, how);
            SetState(AgentVmStates.Stopped, how ?? "stopped");
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task SuperviseAsync(DesiredVmData spec, Run run)
    {
        while (true)
        {
            var ended = await RunOnceAsync(spec, run);
            if (ended is not { } exit) return; // stopped on purpose
            if (exit.Code == 0)
            {
                SetState(AgentVmStates.Stopped, exit.Outcome);
                logger.LogInformation("VM {VmId}: {Outcome}", vmId, exit.Outcome);
                return;
            }
            int restarts;
            lock (_stateGate) restarts = _restarts;
            if (restarts >= options.MaxRestarts)
            {
                SetState(AgentVmStates.Failed, $"{exit.Outcome}; gave up after {restarts} restart(s)");
                logger.LogWarning("VM {VmId}: {Outcome}; gave up after {Restarts} restart(s)", vmId, exit.Outcome, restarts);
                return;
            }
            var delay = RestartDelay(restarts);
            SetState(AgentVmStates.Failed, $"{exit.Outcome}; restarting in {delay.TotalSeconds:0.#} s ({restarts + 1}/{options.MaxRestarts})");
            logger.LogWarning("VM {VmId}: {Outcome}; restart {Restart}/{Max} in {Delay}", vmId, exit.Outcome, restarts + 1, options.MaxRestarts, delay);
            try
            {
                await Task.Delay(delay, run.Stopping.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            lock (_stateGate) _restarts++;
        }
    }

    /// <summary>Starts the process once and waits for it to end; null when it was stopped on purpose.</summary>
    private async Task<(int Code, string Outcome)?> RunOnceAsync(DesiredVmData spec, Run run)
    {
        OsProcess process;
        lock (run)
        {
            if (run.Stopping.IsCancellationRequested) return null;
            try
            {
                process = Spawn(spec, run);
            }
            catch (Exception e) when (e is Win32Exception or IOException or InvalidOperationException)
            {
                var outcome = $"could not start: {e.Message}";
                Output.Note(outcome);
                return (-1, outcome);
            }
        }
        var pid = run.Pid;
        Output.Note($"started pid {pid} as {sandbox.Description} ({run.Limits.Description})");
        if (spec.Port > 0)
        {
            // "running" is what the tenant relies on to connect: with a port, it means the port answers.
            SetState(AgentVmStates.Provisioning, $"pid {pid}; waiting for port {spec.Port}; {run.Limits.Description}");
            var answered = await PortAnswersAsync(spec.Port, run.Exited);
            if (!answered && !run.Exited.IsCompleted) logger.LogWarning("VM {VmId}: port {Port} not answering after {Seconds} s", vmId, spec.Port, PortWait.TotalSeconds);
        }
        if (!run.Exited.IsCompleted)
        {
            logger.LogInformation("VM {VmId} ({Name}): running as pid {Pid}, {User}", vmId, spec.Name, pid, sandbox.Description);
            SetState(AgentVmStates.Running, $"pid {pid}; {run.Limits.Description}");
        }
        await run.Exited;
        // Descendants may still hold the output pipes open: they go first, then the last lines are read.
        KillLeftovers(pid, run.Limits, sandbox);
        using (var drained = new CancellationTokenSource(TimeSpan.FromSeconds(2)))
        {
            try
            {
                await process.WaitForExitAsync(drained.Token);
            }
            catch (OperationCanceledException)
            {
            }
        }
        var code = process.ExitCode;
        process.Dispose();
        if (run.Stopping.IsCancellationRequested) return null;
        var described = Describe(code, run.Limits);
        Output.Note(described);
        return (code, described);
    }

    private static readonly TimeSpan PortWait = TimeSpan.FromSeconds(30);

    /// <summary>Polls the VM's port on loopback until it accepts a connection, the process exits, or the wait ends.</summary>
    private static async Task<bool> PortAnswersAsync(int port, Task exited)
    {
        var deadline = DateTime.UtcNow + PortWait;
        while (!exited.IsCompleted && DateTime.UtcNow < deadline)
        {
            try
            {
                using var probe = new System.Net.Sockets.TcpClient();
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
                await probe.ConnectAsync(System.Net.IPAddress.Loopback, port, timeout.Token);
                return true;
            }
            catch (Exception e) when (e is System.Net.Sockets.SocketException or OperationCanceledException)
            {
                await Task.WhenAny(exited, Task.Delay(100));
            }
        }
        return false;
    }

    private TimeSpan RestartDelay(int restarts) =>
        TimeSpan.FromTicks(Math.Min(options.MaxRestartBackoff.Ticks, options.RestartBackoff.Ticks << Math.Min(restarts, 20)));

    private string Describe(int code, IVmLimits limits)
    {
        var what = code switch
        {
            _ when limits.OomKilled() => $"killed by the kernel: out of memory ({limits.Description})",
            ResourceLimiter.LimitSetupFailedExitCode => $"could not apply resource limits ({limits.Description})",
            > 128 and < 160 => $"killed by signal {code - 128}",
            _ => $"exited with code {code}",
        };
        var last = Output.LastLine();
        return last is null ? what : $"{what}; last output: {(last.Length > 200 ? last[..200] + "…" : last)}";
    }

    private OsProcess Spawn(DesiredVmData spec, Run run)
    {
        var workDir = sandbox.Home;
        var start = new ProcessStartInfo("setsid")
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workDir,
        };
        // setsid execs (the child of .NET is not a group leader), /bin/sh applies the limits as the
        // agent's user (it joins the cgroup) and execs setpriv, which drops to the VM's user and execs
        // the workload: one pid throughout, which is also the session and process group id.
        start.ArgumentList.Add("/bin/sh");
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(run.Limits.ShellPrelude + "exec \"$@\"");
        start.ArgumentList.Add("aetherium-vm");
        foreach (var part in sandbox.RunAs) start.ArgumentList.Add(part);
        var builtIn = string.IsNullOrWhiteSpace(spec.Command);
        if (builtIn)
        {
            foreach (var part in options.SelfCommand) start.ArgumentList.Add(part);
            foreach (var part in (string[])["vm", "--port", spec.Port.ToString(CultureInfo.InvariantCulture), "--name", spec.Name])
                start.ArgumentList.Add(part);
        }
        else
        {
            start.ArgumentList.Add("/bin/sh");
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add(spec.Command!);
        }
        // A VM never sees the agent's settings, its token least of all.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("AETHERIUM_", StringComparison.Ordinal)).ToList())
            start.Environment.Remove(key);
        start.Environment["AETHERIUM_VM_ID"] = vmId.ToString();
        start.Environment["AETHERIUM_VM_NAME"] = spec.Name;
        start.Environment["AETHERIUM_VM_PORT"] = spec.Port.ToString(CultureInfo.InvariantCulture);
        foreach (var (key, value) in sandbox.Environment) start.Environment[key] = value;
        foreach (var (key, value) in run.Limits.Environment) start.Environment[key] = value;
        foreach (var (key, value) in run.Access) start.Environment[key] = value;

        var process = new OsProcess { StartInfo = start, EnableRaisingEvents = true };
        var exited = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process.Exited += (_, _) => exited.TrySetResult();
        process.OutputDataReceived += (_, e) => Output.Append("out", e.Data);
        process.ErrorDataReceived += (_, e) => Output.Append("err", e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.StandardInput.Close();
        run.Pid = process.Id;
        run.Exited = exited.Task;
        return process;
    }

    /// <summary>Whatever the workload left behind: its process group and anything that left the group (in its cgroup, or running as its user).</summary>
    private static void KillLeftovers(int pgid, IVmLimits limits, VmSandbox sandbox)
    {
        Posix.KillGroup(pgid, Posix.SigKill);
        foreach (var pid in limits.Processes().Concat(sandbox.Processes())) Posix.Kill(pid, Posix.SigKill);
    }

    private void SetState(string state, string? reason)
    {
        lock (_stateGate)
        {
            if (_state == state && _reason == reason) return;
            _state = state;
            _reason = reason;
        }
        changed();
    }

    /// <summary>One supervision: from start until stopped or given up, across restarts.</summary>
    private sealed class Run(IVmLimits limits, IReadOnlyDictionary<string, string> access, VmSandbox sandbox)
    {
        public IVmLimits Limits { get; } = limits;
        /// <summary>The environment naming the VM's sign-in files.</summary>
        public IReadOnlyDictionary<string, string> Access { get; } = access;
        public CancellationTokenSource Stopping { get; } = new();
        /// <summary>The process running now; also its session and process group id.</summary>
        public int Pid { get; set; }
        public Task Exited { get; set; } = Task.CompletedTask;
        public Task Supervision { get; set; } = Task.CompletedTask;

        /// <summary>SIGTERM to the group, SIGKILL after the grace period, then everything left in the cgroup.</summary>
        public async Task<string> StopAsync(TimeSpan grace)
        {
            int pid;
            Task exited;
            lock (this)
            {
                Stopping.Cancel();
                pid = Pid;
                exited = Exited;
            }
            var how = "stopped";
            if (pid > 0 && !exited.IsCompleted)
            {
                Posix.KillGroup(pid, Posix.SigTerm);
                if (await Task.WhenAny(exited, Task.Delay(grace)) != exited)
                {
                    Posix.KillGroup(pid, Posix.SigKill);
                    how = $"stopped with SIGKILL: still running {grace.TotalSeconds:0.#} s after SIGTERM";
                    await Task.WhenAny(exited, Task.Delay(TimeSpan.FromSeconds(5)));
                }
                else
                {
                    how = "stopped (SIGTERM)";
                }
                KillLeftovers(pid, Limits, sandbox);
                for (var i = 0; i < 40 && Posix.GroupMembers(pid).Count + sandbox.Processes().Count > 0; i++) await Task.Delay(50);
            }
            await Supervision;
            await Limits.ReleaseAsync();
            return how;
        }
    }
}
