using Aetherium.Contracts.Agent;
using Microsoft.Extensions.Logging;

namespace Aetherium.Agent.Runtime.Qemu;

public sealed class QemuDriverOptions
{
    /// <summary>The agent's data directory; each VM's disk, seed, sockets and log live under vms/&lt;id&gt;/.</summary>
    public required string DataDirectory { get; init; }

    /// <summary>
    /// The image every VM boots (scripts/build-image.sh's output: manifest.json, vmlinuz, initrd.img,
    /// disk.qcow2). Until the agent fetches catalog images, one local image serves every image id.
    /// </summary>
    public required string ImageDirectory { get; init; }

    /// <summary>"kvm" or "tcg"; by default kvm where <see cref="Kvm.Usable"/>, else tcg (emulation).</summary>
    public string Accelerator { get; init; } = Kvm.Usable() ? "kvm" : "tcg";

    /// <summary>How long a guest has to power off after the ACPI power button before qemu is killed.</summary>
    public TimeSpan StopGrace { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a VM with a port may boot before it is reported running without ssh answering.</summary>
    public TimeSpan BootTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Restart policy on-failure: at most this many restarts per start, with doubling backoff.</summary>
    public int MaxRestarts { get; init; } = 5;

    public TimeSpan RestartBackoff { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxRestartBackoff { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Lines of console output kept in memory per VM.</summary>
    public int OutputLines { get; init; } = 200;

    public string QemuBinary { get; init; } = "qemu-system-x86_64";
    public string QemuImgBinary { get; init; } = "qemu-img";
    public string IsoBinary { get; init; } = "genisoimage";
}

/// <summary>Each VM is a real qemu-system-x86_64 virtual machine (see <see cref="QemuVm"/>).</summary>
public sealed class QemuDriver : IRuntimeDriver
{
    private readonly QemuDriverOptions _options;
    private readonly ILogger _logger;
    private readonly Dictionary<Guid, QemuVm> _vms = [];

    public QemuDriver(QemuDriverOptions options, ILogger logger)
    {
        _options = options;
        _logger = logger;
        Directory.CreateDirectory(Path.Combine(options.DataDirectory, "vms"));
        logger.LogInformation("qemu driver: {Accelerator} acceleration, image {Image}", options.Accelerator, options.ImageDirectory);
    }

    public string Name => RuntimeNames.Qemu;

    /// <summary>qemu, and kvm when VMs here are hardware-accelerated.</summary>
    public IReadOnlyList<string> Capabilities => _options.Accelerator == "kvm" ? [RuntimeNames.Qemu, RuntimeNames.Kvm] : [RuntimeNames.Qemu];

    public event Action? StateChanged;

    public Task StartAsync(DesiredVmData vm, CancellationToken ct) => Vm(vm.VmId).StartAsync(vm, ct);

    public Task StopAsync(DesiredVmData vm, CancellationToken ct) => Vm(vm.VmId).StopAsync(vm, ct);

    /// <summary>Powers the VM off and deletes its directory: disk, seed, sockets, logs.</summary>
    public async Task RemoveAsync(Guid vmId, CancellationToken ct)
    {
        QemuVm? vm;
        lock (_vms) _vms.TryGetValue(vmId, out vm);
        if (vm is null) return;
        await vm.StopAsync(null, ct);
        lock (_vms) _vms.Remove(vmId);
        vm.Output.Dispose();
        if (Directory.Exists(vm.Files.Directory)) Directory.Delete(vm.Files.Directory, recursive: true);
        StateChanged?.Invoke();
    }

    public IReadOnlyList<VmRuntimeState> Snapshot()
    {
        lock (_vms) return _vms.Values.Select(v => v.State).ToList();
    }

    /// <summary>The qemu process of a VM that runs; 0 when none.</summary>
    public int ProcessId(Guid vmId)
    {
        lock (_vms) return _vms.TryGetValue(vmId, out var vm) ? vm.Pid : 0;
    }

    /// <summary>The VM's directory (its disk, seed, sockets, logs).</summary>
    public QemuVmFiles Files(Guid vmId) => QemuVmFiles.For(_options.DataDirectory, vmId);

    /// <summary>The last console lines, newest last.</summary>
    public IReadOnlyList<string> Output(Guid vmId)
    {
        lock (_vms) return _vms.TryGetValue(vmId, out var vm) ? vm.Output.Tail() : [];
    }

    private QemuVm Vm(Guid vmId)
    {
        lock (_vms)
        {
            if (!_vms.TryGetValue(vmId, out var vm))
                _vms[vmId] = vm = new QemuVm(vmId, _options, _logger, () => StateChanged?.Invoke());
            return vm;
        }
    }

    /// <summary>No qemu process outlives the driver (adopting running VMs across an agent restart is not done yet).</summary>
    public async ValueTask DisposeAsync()
    {
        List<QemuVm> all;
        lock (_vms) all = [.. _vms.Values];
        await Task.WhenAll(all.Select(v => v.StopAsync(null, CancellationToken.None)));
        foreach (var vm in all) vm.Output.Dispose();
    }
}
