using Aetherium.Contracts.Agent;

namespace Aetherium.Agent.Runtime;

/// <summary>Instant, in memory: a VM is running the moment it is started. For fleets and tests.</summary>
public sealed class SimulatedDriver : IRuntimeDriver
{
    private readonly Dictionary<Guid, VmRuntimeState> _vms = [];

    public string Name => RuntimeNames.Simulated;

    public event Action? StateChanged;

    public Task StartAsync(DesiredVmData vm, CancellationToken ct) => Set(vm, AgentVmStates.Running);

    public Task StopAsync(DesiredVmData vm, CancellationToken ct) => Set(vm, AgentVmStates.Stopped);

    public Task RemoveAsync(Guid vmId, CancellationToken ct)
    {
        lock (_vms) _vms.Remove(vmId);
        return Task.CompletedTask;
    }

    public IReadOnlyList<VmRuntimeState> Snapshot()
    {
        lock (_vms) return [.. _vms.Values];
    }

    private Task Set(DesiredVmData vm, string state)
    {
        lock (_vms)
        {
            var restarts = _vms.TryGetValue(vm.VmId, out var old) && old.Generation == vm.Generation ? old.Restarts : 0;
            _vms[vm.VmId] = new VmRuntimeState(vm.VmId, state, null, restarts, vm.Generation, vm.CpuCores, vm.MemoryMb, vm.DiskGb);
        }
        StateChanged?.Invoke();
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
