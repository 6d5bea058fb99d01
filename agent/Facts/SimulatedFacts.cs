using System.Diagnostics;
using Aetherium.Agent.Runtime;
using Aetherium.Contracts.Agent;

namespace Aetherium.Agent.Facts;

/// <summary>The shape of a virtual machine a simulated agent stands for.</summary>
public sealed record SimulatedMachine(int CpuCores = 8, long MemoryMb = 16384, long DiskGb = 200, string IpAddress = "127.0.0.1");

/// <summary>
/// A virtual worker for fleets: fixed capacity, and a load that follows what it runs (the sum of
/// its running VMs' cores and memory, plus a little noise), so the controller sees usage move as
/// VMs are placed and removed.
/// </summary>
public sealed class SimulatedFacts(string hostname, SimulatedMachine machine) : IMachineFacts
{
    private readonly long _startedAt = Stopwatch.GetTimestamp();
    private readonly long _bootOffsetSeconds = Random.Shared.Next(60, 86_400);
    private long _bytesIn;
    private long _bytesOut;

    public Task<MachineInfo> DescribeAsync(CancellationToken ct) => Task.FromResult(new MachineInfo(
        hostname, machine.IpAddress, null, "Aetherium simulated worker", machine.CpuCores, "simulated vCPU",
        machine.MemoryMb, machine.DiskGb, [], Uptime()));

    public UsageSnapshot SampleUsage(IReadOnlyList<VmRuntimeState> vms)
    {
        var (cpu, memory, disk) = Load(vms);
        return new UsageSnapshot(cpu, memory, disk, Uptime());
    }

    public Task<MetricsData> SampleMetricsAsync(IReadOnlyList<VmRuntimeState> vms, CancellationToken ct)
    {
        var (cpu, memory, disk) = Load(vms);
        _bytesIn += Random.Shared.Next(10_000, 1_000_000);
        _bytesOut += Random.Shared.Next(10_000, 500_000);
        return Task.FromResult(new MetricsData(
            new UsageFigures(cpu, Cores: machine.CpuCores),
            new UsageFigures(memory, machine.MemoryMb, (long)(machine.MemoryMb * memory / 100)),
            new UsageFigures(disk, machine.DiskGb * 1024, (long)(machine.DiskGb * 1024 * disk / 100)),
            new NetworkFigures(_bytesIn, _bytesOut),
            []));
    }

    private (double Cpu, double Memory, double Disk) Load(IReadOnlyList<VmRuntimeState> vms)
    {
        double cores = 0, memory = 0, disk = 0;
        foreach (var vm in vms)
        {
            if (vm.State != AgentVmStates.Running) continue;
            cores += vm.CpuCores;
            memory += vm.MemoryMb;
            disk += vm.DiskGb;
        }
        double Noise() => Random.Shared.NextDouble() * 3;
        return (Percent(cores / machine.CpuCores * 70 + 1 + Noise()),
                Percent(memory / machine.MemoryMb * 90 + 4 + Noise()),
                Percent(disk / machine.DiskGb * 100 + 2));
    }

    private static double Percent(double value) => Math.Round(Math.Clamp(value, 0, 100), 2);

    private long Uptime() => _bootOffsetSeconds + (long)Stopwatch.GetElapsedTime(_startedAt).TotalSeconds;
}
