using System.Globalization;

namespace Aetherium.Agent.Runtime.Process;

/// <summary>No writable cgroup: RLIMIT_AS caps the address space (allocations beyond it fail); CPU is not limited.</summary>
internal sealed class RlimitLimiter : ResourceLimiter
{
    /// <summary>Address space the .NET runtime maps before it runs any code (measured: it fails to start under 1 GiB).</summary>
    private const long ManagedRuntimeReserveMb = 1024;

    public override string Mode => "rlimit";

    public override IVmLimits Create(Guid vmId, int cpuCores, int memoryMb, bool managedRuntime = false) =>
        new Limits(memoryMb, managedRuntime);

    private sealed class Limits(int memoryMb, bool managedRuntime) : IVmLimits
    {
        private long AddressSpaceMb => memoryMb + (managedRuntime ? ManagedRuntimeReserveMb : 0);

        public string Description => memoryMb <= 0
            ? "rlimit: nothing limited (no memory size given, no writable cgroup)"
            : managedRuntime
                ? $"rlimit: managed heap {Mib(memoryMb)} (GC heap hard limit), address space {AddressSpaceMb} MiB (RLIMIT_AS), cpu not limited (no writable cgroup)"
                : $"rlimit: address space {Mib(memoryMb)} (RLIMIT_AS), cpu not limited (no writable cgroup)";

        public string ShellPrelude => memoryMb > 0 ? $"ulimit -v {AddressSpaceMb * 1024} || exit {LimitSetupFailedExitCode}; " : "";

        public IReadOnlyDictionary<string, string> Environment => managedRuntime && memoryMb > 0
            ? new Dictionary<string, string> { ["DOTNET_GCHeapHardLimit"] = ((long)memoryMb * 1024 * 1024).ToString("X", CultureInfo.InvariantCulture) }
            : new Dictionary<string, string>();

        public IReadOnlyList<int> Processes() => [];

        public bool OomKilled() => false;

        public Task ReleaseAsync() => Task.CompletedTask;
    }
}
