using System.Net.NetworkInformation;
using System.Net.Sockets;
using Aetherium.Agent.Runtime;
using Aetherium.Contracts;
using Aetherium.Contracts.Agent;

namespace Aetherium.Agent.Facts;

/// <summary>
/// The real machine: /proc, /etc/os-release, statvfs of the data directory's filesystem, the
/// network interfaces and nvidia-smi. Usage figures are deltas between samples, never constants.
/// </summary>
public sealed class HostFacts : IMachineFacts
{
    private readonly string _dataDirectory;
    private readonly string? _publicAddress;
    private readonly string? _nvidiaSmi = NvidiaSmi.Locate();
    private readonly Lock _gate = new();
    private CpuTimes _lastHeartbeatCpu;
    private CpuTimes _lastMetricsCpu;

    public HostFacts(string dataDirectory, string? publicAddress = null)
    {
        _dataDirectory = dataDirectory;
        _publicAddress = publicAddress;
        _lastHeartbeatCpu = _lastMetricsCpu = ReadCpuTimes();
    }

    public async Task<MachineInfo> DescribeAsync(CancellationToken ct)
    {
        var (processors, model) = ProcParsers.ParseCpuInfo(await File.ReadAllTextAsync("/proc/cpuinfo", ct));
        var memory = ReadMemory();
        return new MachineInfo(
            Hostname(),
            PrimaryAddress(),
            _publicAddress,
            OsDescription(),
            processors > 0 ? processors : Environment.ProcessorCount,
            model,
            memory.TotalKb / 1024,
            FileSystemStats.Of(_dataDirectory).TotalBytes / (1024L * 1024 * 1024),
            await GpusAsync(ct),
            Uptime());
    }

    public UsageSnapshot SampleUsage(IReadOnlyList<VmRuntimeState> vms) =>
        new(CpuPercentSince(ref _lastHeartbeatCpu), ReadMemory().UsagePercent, FileSystemStats.Of(_dataDirectory).UsagePercent, Uptime());

    public async Task<MetricsData> SampleMetricsAsync(IReadOnlyList<VmRuntimeState> vms, CancellationToken ct)
    {
        var memory = ReadMemory();
        var disk = FileSystemStats.Of(_dataDirectory);
        var (bytesIn, bytesOut) = ProcParsers.ParseNetDev(File.ReadAllText("/proc/net/dev"));
        const long mb = 1024 * 1024;
        return new MetricsData(
            new UsageFigures(CpuPercentSince(ref _lastMetricsCpu), Cores: Environment.ProcessorCount,
                LoadAverage: ProcParsers.ParseLoadAverage(File.ReadAllText("/proc/loadavg"))),
            new UsageFigures(memory.UsagePercent, memory.TotalKb / 1024, (memory.TotalKb - memory.AvailableKb) / 1024),
            new UsageFigures(disk.UsagePercent, disk.TotalBytes / mb, disk.UsedBytes / mb),
            new NetworkFigures(bytesIn, bytesOut),
            await GpusAsync(ct));
    }

    private double CpuPercentSince(ref CpuTimes last)
    {
        var now = ReadCpuTimes();
        lock (_gate)
        {
            var usage = CpuTimes.UsagePercent(last, now);
            last = now;
            return Math.Round(usage, 2);
        }
    }

    private Task<IReadOnlyList<GpuInfo>> GpusAsync(CancellationToken ct) =>
        _nvidiaSmi is null ? Task.FromResult<IReadOnlyList<GpuInfo>>([]) : NvidiaSmi.QueryAsync(_nvidiaSmi, ct);

    private static CpuTimes ReadCpuTimes() => ProcParsers.ParseStat(File.ReadAllText("/proc/stat"));

    private static MemoryInfo ReadMemory() => ProcParsers.ParseMemInfo(File.ReadAllText("/proc/meminfo"));

    private static long Uptime() => ProcParsers.ParseUptime(File.ReadAllText("/proc/uptime"));

    public static string Hostname()
    {
        try
        {
            var name = File.ReadAllText("/proc/sys/kernel/hostname").Trim();
            return name.Length > 0 ? name : Environment.MachineName;
        }
        catch (IOException)
        {
            return Environment.MachineName;
        }
    }

    private static string OsDescription()
    {
        var name = File.Exists("/etc/os-release") ? ProcParsers.ParseOsRelease(File.ReadAllText("/etc/os-release")) : "Linux";
        var kernel = File.Exists("/proc/sys/kernel/osrelease") ? File.ReadAllText("/proc/sys/kernel/osrelease").Trim() : null;
        return kernel is null ? name : $"{name}, Linux {kernel}";
    }

    /// <summary>The IPv4 address of the interface holding the default route; else of any interface that is up.</summary>
    public static string PrimaryAddress()
    {
        var defaultInterface = File.Exists("/proc/net/route") ? ProcParsers.ParseDefaultRouteInterface(File.ReadAllText("/proc/net/route")) : null;
        var interfaces = NetworkInterface.GetAllNetworkInterfaces()
            .Where(i => i.NetworkInterfaceType != NetworkInterfaceType.Loopback && i.OperationalStatus != OperationalStatus.Down)
            .OrderByDescending(i => i.Name == defaultInterface);
        foreach (var nic in interfaces)
        {
            var address = nic.GetIPProperties().UnicastAddresses
                .FirstOrDefault(a => a.Address.AddressFamily == AddressFamily.InterNetwork);
            if (address is not null) return address.Address.ToString();
        }
        return "127.0.0.1";
    }
}
