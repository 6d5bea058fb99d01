using Aetherium.Agent.Runtime;
using Aetherium.Contracts;
using Aetherium.Contracts.Agent;

namespace Aetherium.Agent.Facts;

/// <summary>What NODE_REGISTER says about the machine (DESIGN §6).</summary>
public sealed record MachineInfo(
    string Hostname,
    string IpAddress,
    string? PublicIpAddress,
    string Os,
    int CpuCores,
    string CpuModel,
    long MemoryMb,
    long DiskGb,
    IReadOnlyList<GpuInfo> Gpus,
    long UptimeSeconds);

/// <summary>The figures of one TELEMETRY_HEARTBEAT.</summary>
public sealed record UsageSnapshot(double CpuPercent, double MemoryPercent, double DiskPercent, long UptimeSeconds);

/// <summary>Where an agent learns about the machine it stands for: the real host, or a simulated one.</summary>
public interface IMachineFacts
{
    Task<MachineInfo> DescribeAsync(CancellationToken ct);

    /// <param name="vms">what the driver runs now (a simulated machine derives its load from it)</param>
    UsageSnapshot SampleUsage(IReadOnlyList<VmRuntimeState> vms);

    Task<MetricsData> SampleMetricsAsync(IReadOnlyList<VmRuntimeState> vms, CancellationToken ct);
}
