namespace Aetherium.Scheduler.Images;

/// <summary>A VM image tenants can ask for, with the size a VM gets when its spec leaves it out.</summary>
public sealed class Image
{
    public string Id { get; set; } = "";
    public string Name { get; set; } = "";
    public string Os { get; set; } = "";
    public string OsVersion { get; set; } = "";
    public int DefaultCpuCores { get; set; }
    public int DefaultMemoryMb { get; set; }
    public int DefaultDiskGb { get; set; }
    /// <summary>Agent runtimes that can run it (NODE_REGISTER "runtimes").</summary>
    public string[] Runtimes { get; set; } = [];

    public static readonly Image[] Seed =
    [
        new() { Id = "ubuntu-24.04", Name = "Ubuntu 24.04 LTS", Os = "ubuntu", OsVersion = "24.04", DefaultCpuCores = 2, DefaultMemoryMb = 4096, DefaultDiskGb = 40, Runtimes = ["process", "simulated"] },
        new() { Id = "ubuntu-22.04", Name = "Ubuntu 22.04 LTS", Os = "ubuntu", OsVersion = "22.04", DefaultCpuCores = 2, DefaultMemoryMb = 4096, DefaultDiskGb = 40, Runtimes = ["process", "simulated"] },
        new() { Id = "debian-12", Name = "Debian 12 (bookworm)", Os = "debian", OsVersion = "12", DefaultCpuCores = 1, DefaultMemoryMb = 2048, DefaultDiskGb = 20, Runtimes = ["process", "simulated"] },
    ];
}
