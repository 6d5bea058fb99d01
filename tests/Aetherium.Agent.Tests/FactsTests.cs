using System.Globalization;
using Aetherium.Agent.Facts;

namespace Aetherium.Agent.Tests;

/// <summary>The machine facts, read from this machine's real /proc, against independent sources.</summary>
public sealed class FactsTests : IDisposable
{
    private readonly TempDir _data = new();

    public void Dispose() => _data.Dispose();

    private static long[] Numbers(string line) =>
        line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(p => long.Parse(p, CultureInfo.InvariantCulture)).ToArray();

    [Fact]
    public async Task Cpu_cores_match_nproc_and_the_runtime()
    {
        var machine = await new HostFacts(_data.Path).DescribeAsync(CancellationToken.None);

        Assert.Equal(Environment.ProcessorCount, machine.CpuCores);
        Assert.Equal(int.Parse(Shell.Run("nproc").Trim(), CultureInfo.InvariantCulture), machine.CpuCores);
        var lscpuModel = Shell.Run("lscpu").Split('\n').FirstOrDefault(l => l.StartsWith("Model name:"))?["Model name:".Length..].Trim();
        if (lscpuModel is not null) Assert.Equal(lscpuModel, machine.CpuModel);
        else Assert.NotEqual("unknown", machine.CpuModel);
    }

    [Fact]
    public async Task Memory_matches_free()
    {
        var facts = new HostFacts(_data.Path);
        var machine = await facts.DescribeAsync(CancellationToken.None);
        var mem = Numbers(Shell.Run("free", "-b").Split('\n').Single(l => l.StartsWith("Mem:")));
        var (total, available) = (mem[0], mem[5]);

        Assert.Equal(total / 1024 / 1024, machine.MemoryMb);
        var usage = facts.SampleUsage([]).MemoryPercent;
        Assert.InRange(usage, 100.0 * (total - available) / total - 2, 100.0 * (total - available) / total + 2);
    }

    [Fact]
    public async Task Disk_is_the_data_directorys_filesystem_as_df_sees_it()
    {
        var facts = new HostFacts(_data.Path);
        var machine = await facts.DescribeAsync(CancellationToken.None);
        var df = Numbers("x " + Shell.Run("df", "-B1", "--output=size,used,avail", _data.Path).Split('\n')[1]);
        var (size, used, avail) = (df[0], df[1], df[2]);

        Assert.Equal(size / (1024L * 1024 * 1024), machine.DiskGb);
        Assert.InRange(facts.SampleUsage([]).DiskPercent, 100.0 * used / (used + avail) - 0.5, 100.0 * used / (used + avail) + 0.5);
    }

    [Fact]
    public async Task Hostname_address_os_and_uptime_match_the_system()
    {
        var machine = await new HostFacts(_data.Path, publicAddress: "203.0.113.7").DescribeAsync(CancellationToken.None);

        Assert.Equal(Shell.Run("hostname").Trim(), machine.Hostname);
        Assert.Contains(machine.IpAddress, Shell.Run("hostname", "-I").Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.Equal("203.0.113.7", machine.PublicIpAddress);
        var pretty = File.ReadAllLines("/etc/os-release").Single(l => l.StartsWith("PRETTY_NAME=")).Split('=', 2)[1].Trim('"');
        Assert.StartsWith(pretty, machine.Os);
        Assert.EndsWith(Shell.Run("uname", "-r").Trim(), machine.Os);
        // Environment.TickCount64 is the monotonic clock since boot: an independent reading of the uptime.
        Assert.InRange(machine.UptimeSeconds, Environment.TickCount64 / 1000 - 5, Environment.TickCount64 / 1000 + 5);
    }

    [Fact]
    public void Cpu_usage_is_measured_not_constant()
    {
        var facts = new HostFacts(_data.Path);
        facts.SampleUsage([]);
        var until = DateTime.UtcNow.AddSeconds(1.5);
        // Every core busy for 1.5 s: whatever else runs on the machine, it cannot read as idle.
        Parallel.For(0, Environment.ProcessorCount, _ =>
        {
            var spin = 0L;
            while (DateTime.UtcNow < until) spin++;
            GC.KeepAlive(spin);
        });
        var busy = facts.SampleUsage([]).CpuPercent;

        Assert.InRange(busy, 60, 100);
    }

    [Fact]
    public async Task Network_bytes_match_the_kernels_interface_counters()
    {
        static (long In, long Out) Sysfs() =>
            Directory.GetDirectories("/sys/class/net").Where(d => Path.GetFileName(d) != "lo")
                .Select(d => (long.Parse(File.ReadAllText(Path.Combine(d, "statistics/rx_bytes"))), long.Parse(File.ReadAllText(Path.Combine(d, "statistics/tx_bytes")))))
                .Aggregate((0L, 0L), (a, b) => (a.Item1 + b.Item1, a.Item2 + b.Item2));

        var before = Sysfs();
        var metrics = await new HostFacts(_data.Path).SampleMetricsAsync([], CancellationToken.None);
        var after = Sysfs();

        Assert.InRange(metrics.Network.BytesIn, before.In, after.In);
        Assert.InRange(metrics.Network.BytesOut, before.Out, after.Out);
        Assert.Equal(3, metrics.Cpu.LoadAverage!.Length);
        Assert.Equal(File.ReadAllText("/proc/loadavg").Split(' ')[0], metrics.Cpu.LoadAverage[0].ToString("0.00", CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Stat_parser_counts_iowait_as_idle_and_skips_guest_time()
    {
        const string stat = "cpu  100 20 30 400 50 6 4 0 70 0\ncpu0 50 10 15 200 25 3 2 0 35 0\nintr 1 2 3\n";
        var times = ProcParsers.ParseStat(stat);

        Assert.Equal(new CpuTimes(Busy: 160, Total: 610), times);
        Assert.Equal(50, CpuTimes.UsagePercent(new CpuTimes(0, 0), new CpuTimes(50, 100)));
    }

    [Fact]
    public void Parsers_read_canned_kernel_files()
    {
        var arm = ProcParsers.ParseCpuInfo("processor\t: 0\nBogoMIPS\t: 48.00\n\nprocessor\t: 1\nBogoMIPS\t: 48.00\nHardware\t: BCM2835\n");
        Assert.Equal((2, "BCM2835"), arm);

        var oldKernel = ProcParsers.ParseMemInfo("MemTotal:        2048000 kB\nMemFree:          512000 kB\nBuffers:  1 kB\n");
        Assert.Equal(new MemoryInfo(2048000, 512000), oldKernel);

        const string netDev = "Inter-|   Receive |  Transmit\n face |bytes    packets errs drop fifo frame compressed multicast|bytes\n" +
                              "    lo: 999 9 0 0 0 0 0 0 999 9 0 0 0 0 0 0\n  eth0: 1000 10 0 0 0 0 0 0 2000 20 0 0 0 0 0 0\n  wlan0: 5 1 0 0 0 0 0 0 7 1 0 0 0 0 0 0\n";
        Assert.Equal((1005L, 2007L), ProcParsers.ParseNetDev(netDev));

        Assert.Equal("Ubuntu 24.04.1 LTS", ProcParsers.ParseOsRelease("NAME=\"Ubuntu\"\nPRETTY_NAME=\"Ubuntu 24.04.1 LTS\"\n"));
        Assert.Equal("Alpine 3.20", ProcParsers.ParseOsRelease("NAME=Alpine\nVERSION=3.20\n"));
        Assert.Equal(12345, ProcParsers.ParseUptime("12345.67 2222.10\n"));
        Assert.Equal("eth0", ProcParsers.ParseDefaultRouteInterface(
            "Iface\tDestination\tGateway\n" + "docker0\t000011AC\t00000000\n" + "eth0\t00000000\t010200C0\n"));
    }

    [Fact]
    public void Nvidia_smi_output_is_parsed_with_unreadable_fields_as_zero()
    {
        // Output of NvidiaSmi.QueryArguments as nvidia-smi prints it on an 8×H100 box and on a board without sensors.
        const string csv = """
            0, GPU-5d1c3d2a-8b0e-6a2f-1c9e-3f7b2a4d5e6f, NVIDIA H100 80GB HBM3, 81559, 81004, 0, 31
            1, GPU-a71e9c0b-2d44-4f1a-9b6e-0c2d3e4f5a6b, NVIDIA H100 80GB HBM3, 81559, 1203, 97, 64
            2, [N/A], NVIDIA A10G, 23028, [N/A], [Not Supported], [N/A]
            """;
        var gpus = NvidiaSmi.Parse(csv);

        Assert.Equal(3, gpus.Count);
        Assert.Equal(new Contracts.GpuInfo("GPU-5d1c3d2a-8b0e-6a2f-1c9e-3f7b2a4d5e6f", "NVIDIA H100 80GB HBM3", 81559, 81004, 0, 31), gpus[0]);
        Assert.Equal(97, gpus[1].Utilization);
        Assert.Equal(64, gpus[1].Temperature);
        Assert.Equal(new Contracts.GpuInfo("GPU-2", "NVIDIA A10G", 23028, 0, 0, 0), gpus[2]);
        Assert.Empty(NvidiaSmi.Parse(""));
    }

    [Fact]
    public void A_gpu_the_controller_would_refuse_is_reported_in_a_form_it_takes()
    {
        // A name with a control character, a NaN and a negative figure: the controller refuses such a report whole (issue 22).
        var gpu = Assert.Single(NvidiaSmi.Parse("0, GPU-1, Tesla\u0007 X, 1024, -5, NaN, 40"));
        Assert.Equal("Tesla  X", gpu.Model);
        Assert.Equal(0, gpu.MemoryFreeMb);
        Assert.Equal(0, gpu.Utilization);
        Assert.False(Contracts.Agent.FrameRules.Check(new Contracts.Agent.MetricsData(null!, null!, null!, null!, [gpu])).Failed);
    }

    [Fact]
    public async Task Gpus_come_from_nvidia_smi_on_the_path()
    {
        // A stand-in nvidia-smi that answers only the exact query the agent must make.
        var bin = _data.Combine("bin");
        Directory.CreateDirectory(bin);
        var fake = Path.Combine(bin, "nvidia-smi");
        File.WriteAllText(fake, $"""
            #!/bin/sh
            [ "$*" = "{NvidiaSmi.QueryArguments}" ] || exit 9
            echo "0, GPU-11111111-2222-3333-4444-555555555555, NVIDIA L4, 23034, 22000, 12, 41"
            """);
        File.SetUnixFileMode(fake, (UnixFileMode)0b111_101_101);
        var path = Environment.GetEnvironmentVariable("PATH");
        Environment.SetEnvironmentVariable("PATH", bin + ":" + path);
        try
        {
            var machine = await new HostFacts(_data.Path).DescribeAsync(CancellationToken.None);
            var gpu = Assert.Single(machine.Gpus);
            Assert.Equal(new Contracts.GpuInfo("GPU-11111111-2222-3333-4444-555555555555", "NVIDIA L4", 23034, 22000, 12, 41), gpu);
        }
        finally
        {
            Environment.SetEnvironmentVariable("PATH", path);
        }
    }
}
