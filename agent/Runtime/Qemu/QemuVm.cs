using System.ComponentModel;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Aetherium.Agent.Runtime.Process;
using Aetherium.Contracts.Agent;
using Microsoft.Extensions.Logging;
using OsProcess = System.Diagnostics.Process;

namespace Aetherium.Agent.Runtime.Qemu;

/// <summary>
/// One VM of the qemu driver: a qemu-system-x86_64 process in its own session, booted from the
/// verified image with the VM's disk and seed, "running" once its sshd answers on the VM's port,
/// restarted with backoff when qemu dies, powered off through QMP (ACPI power button), then killed
/// after the grace period. The restart policy is the process driver's (<see cref="SupervisedVm"/>).
/// </summary>
internal sealed class QemuVm
{
    private readonly Guid _vmId;
    private readonly QemuDriverOptions _options;
    private readonly ILogger _logger;
    private readonly Action _changed;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Lock _stateGate = new();
    private DesiredVmData? _spec;
    private string _state = AgentVmStates.Stopped;
    private string? _reason;
    private int _restarts;
    private Run? _run;

    public QemuVm(Guid vmId, QemuDriverOptions options, ILogger logger, Action changed)
    {
        _vmId = vmId;
        _options = options;
        _logger = logger;
        _changed = changed;
        Files = QemuVmFiles.For(options.DataDirectory, vmId);
        Output = new OutputLog(Files.OutputLog, options.OutputLines);
    }

    public QemuVmFiles Files { get; }

    /// <summary>The serial console (and the agent's notes on starts and exits), bounded and rotated.</summary>
    public OutputLog Output { get; }

    /// <summary>The qemu process running now; 0 when none.</summary>
    public int Pid => _run?.Pid ?? 0;

    public VmRuntimeState State
    {
        get
        {
            lock (_stateGate)
                return new VmRuntimeState(_vmId, _state, _reason, _restarts, _spec?.Generation ?? 0,
                    _spec?.CpuCores ?? 0, _spec?.MemoryMb ?? 0, _spec?.DiskGb ?? 0);
        }
    }

    public async Task StartAsync(DesiredVmData spec, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            if (_run is not null) return; // running, or between restarts: already under supervision
            lock (_stateGate)
            {
                _spec = spec;
                _restarts = 0;
            }
            // A missing or corrupt image fails the VM, and nothing boots from it.
            var (image, error) = QemuImage.Load(_options.ImageDirectory);
            if (image is null)
            {
                Output.Note(error!);
                _logger.LogWarning("VM {VmId} ({Name}): {Error}", _vmId, spec.Name, error);
                SetState(AgentVmStates.Failed, error);
                return;
            }
            try
            {
                await QemuDisks.EnsureDiskAsync(_options, image, Files, spec.DiskGb, ct);
                await QemuDisks.WriteSeedAsync(_options, Files, _vmId, spec.Name, spec.Access, ct);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or Win32Exception)
            {
                SetState(AgentVmStates.Failed, $"could not prepare the VM's disk and seed: {e.Message}");
                throw; // not applied: the reconciler's next pass tries again
            }
            var command = QemuCommandLine.Build(_options, spec, image, Files, _options.Accelerator);
            SetState(AgentVmStates.Provisioning, $"starting qemu ({_options.Accelerator})");
            var run = new Run(command);
            _run = run;
            run.Supervision = Task.Run(() => SuperviseAsync(spec, run), CancellationToken.None);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Powers the VM off (if it runs) and records it as stopped with this spec.</summary>
    public async Task StopAsync(DesiredVmData? spec, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            if (spec is not null) lock (_stateGate) _spec = spec;
            var run = _run;
            _run = null;
            var how = run is null ? null : await run.StopAsync(Files, _options.StopGrace);
            if (how is not null)
            {
                Output.Note(how);
                _logger.LogInformation("VM {VmId}: {How}", _vmId, how);
            }
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
                // qemu ends by itself with 0 when the guest powers off (a tenant's "poweroff").
                SetState(AgentVmStates.Stopped, exit.Outcome);
                return;
            }
            int restarts;
            lock (_stateGate) restarts = _restarts;
            if (restarts >= _options.MaxRestarts)
            {
                SetState(AgentVmStates.Failed, $"{exit.Outcome}; gave up after {restarts} restart(s)");
                _logger.LogWarning("VM {VmId}: {Outcome}; gave up after {Restarts} restart(s)", _vmId, exit.Outcome, restarts);
                return;
            }
            var delay = TimeSpan.FromTicks(Math.Min(_options.MaxRestartBackoff.Ticks, _options.RestartBackoff.Ticks << Math.Min(restarts, 20)));
            SetState(AgentVmStates.Failed, $"{exit.Outcome}; restarting in {delay.TotalSeconds:0.#} s ({restarts + 1}/{_options.MaxRestarts})");
            _logger.LogWarning("VM {VmId}: {Outcome}; restart {Restart}/{Max} in {Delay}", _vmId, exit.Outcome, restarts + 1, _options.MaxRestarts, delay);
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

    /// <summary>Boots qemu once and waits for it to end; null when it was stopped on purpose.</summary>
    private async Task<(int Code, string Outcome)?> RunOnceAsync(DesiredVmData spec, Run run)
    {
        OsProcess process;
        var started = Stopwatch.StartNew();
        lock (run)
        {
            if (run.Stopping.IsCancellationRequested) return null;
            try
            {
                process = Spawn(run);
            }
            catch (Exception e) when (e is Win32Exception or IOException or InvalidOperationException)
            {
                var outcome = $"could not start qemu: {e.Message}";
                Output.Note(outcome);
                return (-1, outcome);
            }
        }
        var pid = run.Pid;
        Output.Note($"started qemu, pid {pid} ({_options.Accelerator}, {spec.CpuCores} vCPU, {spec.MemoryMb} MB)");
        var console = Task.Run(() => ReadConsoleAsync(run.Exited), CancellationToken.None);
        var ready = $"pid {pid}; {_options.Accelerator}";
        if (spec.Port > 0)
        {
            // "running" is what the tenant relies on to connect: the guest's sshd answers on the VM's port.
            SetState(AgentVmStates.Provisioning, $"pid {pid}; booting ({_options.Accelerator}), waiting for ssh on port {spec.Port}");
            var answered = await SshAnswersAsync(spec.Port, run.Exited, _options.BootTimeout);
            ready = answered
                ? $"pid {pid}; ssh answered on port {spec.Port} after {started.Elapsed.TotalSeconds:0.0} s; {_options.Accelerator}"
                : $"pid {pid}; ssh not answering on port {spec.Port} after {_options.BootTimeout.TotalSeconds:0} s; {_options.Accelerator}";
        }
        if (!run.Exited.IsCompleted)
        {
            _logger.LogInformation("VM {VmId} ({Name}): running, {Ready}", _vmId, spec.Name, ready);
            SetState(AgentVmStates.Running, ready);
        }
        await run.Exited;
        await process.WaitForExitAsync();
        await console;
        var code = process.ExitCode;
        process.Dispose();
        if (run.Stopping.IsCancellationRequested) return null;
        var described = Describe(code);
        Output.Note(described);
        return (code, described);
    }

    private string Describe(int code)
    {
        var what = code switch
        {
            0 => "the guest powered off",
            > 128 and < 160 => $"qemu killed by signal {code - 128}",
            _ => $"qemu exited with code {code}",
        };
        string? last = null;
        try
        {
            last = File.ReadLines(Files.QemuLog).LastOrDefault(l => l.Length > 0);
        }
        catch (IOException)
        {
        }
        return last is null ? what : $"{what}: {(last.Length > 200 ? last[..200] + "…" : last)}";
    }

    /// <summary>
    /// qemu in a new session (it outlives nothing it should not, and is its own process group), its
    /// own messages in qemu.log, the guest's serial console on a socket the agent reads.
    /// </summary>
    private OsProcess Spawn(Run run)
    {
        foreach (var stale in (string[])[Files.Qmp, Files.Console, Files.PidFile]) File.Delete(stale);
        var start = new ProcessStartInfo("setsid") { UseShellExecute = false, WorkingDirectory = Files.Directory };
        start.ArgumentList.Add("/bin/sh");
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("exec \"$@\" </dev/null >qemu.log 2>&1");
        start.ArgumentList.Add("aetherium-qemu");
        foreach (var part in run.Command) start.ArgumentList.Add(part);
        // qemu never sees the agent's settings, its token least of all.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("AETHERIUM_", StringComparison.Ordinal)).ToList())
            start.Environment.Remove(key);
        var process = new OsProcess { StartInfo = start, EnableRaisingEvents = true };
        var exited = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process.Exited += (_, _) => exited.TrySetResult();
        process.Start();
        run.Pid = process.Id;
        run.Exited = exited.Task;
        return process;
    }

    /// <summary>The guest's serial console, line by line, into the VM's output log until qemu ends.</summary>
    private async Task ReadConsoleAsync(Task exited)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        while (true)
        {
            if (exited.IsCompleted) return;
            try
            {
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(Files.Console));
                break;
            }
            catch (SocketException)
            {
                await Task.WhenAny(exited, Task.Delay(50));
            }
        }
        try
        {
            using var reader = new StreamReader(new NetworkStream(socket, ownsSocket: false), Encoding.UTF8);
            while (await reader.ReadLineAsync() is { } line) Output.Append("console", line.TrimEnd('\r'));
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Whether the guest's sshd answers (its "SSH-" banner) through the forwarded port before qemu ends or the wait does.</summary>
    private static async Task<bool> SshAnswersAsync(int port, Task exited, TimeSpan wait)
    {
        var deadline = DateTime.UtcNow + wait;
        var banner = new byte[4];
        while (!exited.IsCompleted && DateTime.UtcNow < deadline)
        {
            try
            {
                // qemu accepts on the host side at once; only the guest's banner shows sshd is there.
                using var probe = new TcpClient();
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(3));
                await probe.ConnectAsync(IPAddress.Loopback, port, timeout.Token);
                var read = 0;
                var stream = probe.GetStream();
                while (read < banner.Length && await stream.ReadAsync(banner.AsMemory(read), timeout.Token) is var n and > 0) read += n;
                if (read == banner.Length && Encoding.ASCII.GetString(banner) == "SSH-") return true;
            }
            catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
            {
            }
            await Task.WhenAny(exited, Task.Delay(250));
        }
        return false;
    }

    private void SetState(string state, string? reason)
    {
        lock (_stateGate)
        {
            if (_state == state && _reason == reason) return;
            _state = state;
            _reason = reason;
        }
        _changed();
    }

    /// <summary>One supervision: from start until stopped or given up, across restarts.</summary>
    private sealed class Run(IReadOnlyList<string> command)
    {
        public IReadOnlyList<string> Command { get; } = command;
        public CancellationTokenSource Stopping { get; } = new();
        public int Pid { get; set; }
        public Task Exited { get; set; } = Task.CompletedTask;
        public Task Supervision { get; set; } = Task.CompletedTask;

        /// <summary>The ACPI power button through QMP; SIGKILL when the guest has not powered off after the grace period.</summary>
        public async Task<string> StopAsync(QemuVmFiles files, TimeSpan grace)
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
                string? refused = null;
                try
                {
                    await Qmp.ExecuteAsync(files.Qmp, "system_powerdown", TimeSpan.FromSeconds(5));
                }
                catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or System.Text.Json.JsonException)
                {
                    refused = e.Message;
                }
                if (refused is null && await Task.WhenAny(exited, Task.Delay(grace)) == exited)
                {
                    how = "powered off (ACPI power button)";
                }
                else
                {
                    Posix.KillGroup(pid, Posix.SigKill);
                    how = refused is null
                        ? $"killed: not powered off {grace.TotalSeconds:0.#} s after the ACPI power button"
                        : $"killed: QMP did not answer ({refused})";
                    await Task.WhenAny(exited, Task.Delay(TimeSpan.FromSeconds(5)));
                }
            }
            await Supervision;
            return how;
        }
    }
}
