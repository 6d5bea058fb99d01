using Aetherium.Agent.Runtime.Isolation;
using Aetherium.Contracts.Agent;
using Microsoft.Extensions.Logging;

namespace Aetherium.Agent.Runtime.Process;

public sealed record ProcessDriverOptions
{
    /// <summary>The agent's data directory; each VM keeps its files under vms/&lt;id&gt;/ (see <see cref="VmIsolation"/>).</summary>
    public required string DataDirectory { get; init; }

    /// <summary>How long a VM has to exit after SIGTERM before it gets SIGKILL.</summary>
    public TimeSpan StopGrace { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Restart policy on-failure: at most this many restarts per start, with doubling backoff.</summary>
    public int MaxRestarts { get; init; } = 5;

    public TimeSpan RestartBackoff { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxRestartBackoff { get; init; } = TimeSpan.FromSeconds(30);

    public LimitMode Limits { get; init; } = LimitMode.Auto;

    /// <summary>Lines of output kept in memory per VM.</summary>
    public int OutputLines { get; init; } = 200;

    /// <summary>As root, each VM runs as a user of its own with an id from this range.</summary>
    public IdRange VmUserIds { get; init; } = IdRange.Default;

    /// <summary>How to run the agent's built-in workload (<c>aetherium-agent vm</c>).</summary>
    public IReadOnlyList<string> SelfCommand { get; init; } = Process.SelfCommand.Resolve();
}

/// <summary>Each VM is a real, supervised child process (see <see cref="SupervisedVm"/>).</summary>
public sealed class ProcessDriver : IRuntimeDriver
{
    private readonly ProcessDriverOptions _options;
    private readonly ILogger _logger;
    private readonly ResourceLimiter _limiter;
    private readonly VmIsolation _isolation;
    private readonly Dictionary<Guid, SupervisedVm> _vms = [];

    public ProcessDriver(ProcessDriverOptions options, ILogger logger)
    {
        _logger = logger;
        _isolation = VmIsolation.Create(options.DataDirectory, options.VmUserIds, logger);
        _options = options = options with { SelfCommand = WorkloadStaging.Reachable(options.SelfCommand, _isolation, options.DataDirectory, logger) };
        foreach (var part in options.SelfCommand)
            if (_isolation.Unreachable(part) is { } blocked)
                logger.LogWarning("VM users cannot reach {Blocked} (others may not read or pass it): VMs with the built-in workload ({Part}) will not start", blocked, part);
        _limiter = ResourceLimiter.Detect(options.Limits, logger);
    }

    public string Name => RuntimeNames.Process;

    /// <summary>"cgroup-v2", "cgroup-v1" or "rlimit": how limits are enforced here.</summary>
    public string LimitEnforcement => _limiter.Mode;

    public event Action? StateChanged;

    public Task StartAsync(DesiredVmData vm, CancellationToken ct) => Vm(vm.VmId).StartAsync(vm, ct);

    public Task StopAsync(DesiredVmData vm, CancellationToken ct) => Vm(vm.VmId).StopAsync(vm, ct);

    public async Task RemoveAsync(Guid vmId, CancellationToken ct)
    {
        SupervisedVm? vm;
        lock (_vms) _vms.TryGetValue(vmId, out vm);
        if (vm is null) return;
        await vm.StopAsync(null, ct);
        lock (_vms) _vms.Remove(vmId);
        vm.Output.Dispose();
        await _isolation.RemoveAsync(vm.Sandbox); // its files (the tenant's sign-in among them) do not outlive it here
        StateChanged?.Invoke();
    }

    public IReadOnlyList<VmRuntimeState> Snapshot()
    {
        lock (_vms) return _vms.Values.Select(v => v.State).ToList();
    }

    /// <summary>The last lines a VM wrote (stdout and stderr), newest last.</summary>
    public IReadOnlyList<string> Output(Guid vmId)
    {
        lock (_vms) return _vms.TryGetValue(vmId, out var vm) ? vm.Output.Tail() : [];
    }

    public string? LogFile(Guid vmId)
    {
        lock (_vms) return _vms.TryGetValue(vmId, out var vm) ? vm.Output.FilePath : null;
    }

    private SupervisedVm Vm(Guid vmId)
    {
        lock (_vms)
        {
            if (!_vms.TryGetValue(vmId, out var vm))
                _vms[vmId] = vm = new SupervisedVm(vmId, _isolation.Prepare(vmId), _options, _limiter, _logger, () => StateChanged?.Invoke());
            return vm;
        }
    }

    /// <summary>No VM process outlives the driver.</summary>
    public async ValueTask DisposeAsync()
    {
        List<SupervisedVm> all;
        lock (_vms) all = [.. _vms.Values];
        await Task.WhenAll(all.Select(v => v.StopAsync(null, CancellationToken.None)));
        foreach (var vm in all) vm.Output.Dispose();
        _limiter.Release();
    }
}
