using Aetherium.Contracts.Agent;

namespace Aetherium.Agent.Runtime;

/// <summary>What a driver knows about one VM: its actual state and the spec it was last given.</summary>
public sealed record VmRuntimeState(
    Guid VmId,
    string State,
    string? Reason,
    int Restarts,
    long Generation,
    int CpuCores,
    int MemoryMb,
    int DiskGb);

/// <summary>
/// Runs VMs on this worker. The reconciler decides what must change; a driver only carries it out
/// and reports. Every method is idempotent: starting a running VM or stopping a stopped one is a no-op.
/// </summary>
public interface IRuntimeDriver : IAsyncDisposable
{
    /// <summary>"process", "simulated" or "qemu": the worker's runtime in NODE_REGISTER.</summary>
    string Name { get; }

    /// <summary>What this worker can run, advertised as its runtimes (capabilities) in NODE_REGISTER.</summary>
    IReadOnlyList<string> Capabilities => RuntimeNames.Portable;

    /// <summary>Starts the VM per its spec; a VM already running is left as it is (restart = stop, then start).</summary>
    Task StartAsync(DesiredVmData vm, CancellationToken ct);

    /// <summary>Stops the VM and keeps it known as stopped with this spec (power off).</summary>
    Task StopAsync(DesiredVmData vm, CancellationToken ct);

    /// <summary>Stops the VM if it runs and forgets it.</summary>
    Task RemoveAsync(Guid vmId, CancellationToken ct);

    IReadOnlyList<VmRuntimeState> Snapshot();

    /// <summary>Raised when a VM's state changes on its own (it started, died, was restarted, gave up).</summary>
    event Action? StateChanged;
}

public static class RuntimeNames
{
    public const string Process = "process";
    public const string Simulated = "simulated";
    public const string Qemu = "qemu";

    /// <summary>Not a driver: a qemu worker whose VMs are hardware-accelerated also advertises this.</summary>
    public const string Kvm = "kvm";

    /// <summary>The drivers `--runtime` accepts.</summary>
    public static readonly IReadOnlyList<string> All = [Process, Simulated, Qemu];

    /// <summary>What the process and simulated drivers advertise: both run any workload, anywhere.</summary>
    public static readonly IReadOnlyList<string> Portable = [Process, Simulated];
}
