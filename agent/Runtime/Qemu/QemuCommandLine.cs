using System.Globalization;
using Aetherium.Contracts.Agent;

namespace Aetherium.Agent.Runtime.Qemu;

/// <summary>
/// The qemu-system-x86_64 command line of one VM: the only place it is made, so that running qemu as
/// another user (or under a jailer) later is one change here and in <see cref="QemuVm"/>'s spawn.
/// </summary>
public static class QemuCommandLine
{
    public static IReadOnlyList<string> Build(QemuDriverOptions options, DesiredVmData vm, QemuImage image, QemuVmFiles files, string accelerator)
    {
        var network = "user,id=n0";
        // The VM's port on every address of the worker leads to the guest's sshd.
        if (vm.Port > 0) network += string.Create(CultureInfo.InvariantCulture, $",hostfwd=tcp::{vm.Port}-:22");
        List<string> args =
        [
            options.QemuBinary,
            "-name", $"aetherium-{vm.VmId:N}",
            "-nodefaults", "-no-user-config", "-display", "none",
            "-accel", accelerator,
            "-smp", Math.Max(1, vm.CpuCores).ToString(CultureInfo.InvariantCulture),
            "-m", Math.Max(image.Manifest.MinMemoryMb, vm.MemoryMb).ToString(CultureInfo.InvariantCulture),
            "-kernel", image.KernelPath,
            "-initrd", image.InitrdPath,
            "-append", image.Manifest.Cmdline ?? "console=ttyS0",
            "-drive", $"file={Escape(files.Disk)},if=virtio,format=qcow2",
            "-drive", $"file={Escape(files.Seed)},if=virtio,format=raw,readonly=on",
            "-netdev", network,
            "-device", "virtio-net-pci,netdev=n0",
            "-device", "virtio-rng-pci",
            "-chardev", $"socket,id=console,path={Escape(files.Console)},server=on,wait=off",
            "-serial", "chardev:console",
            "-qmp", $"unix:{Escape(files.Qmp)},server=on,wait=off",
            "-pidfile", files.PidFile,
        ];
        if (accelerator == "kvm") args.AddRange(["-cpu", "host"]);
        return args;
    }

    /// <summary>qemu's option syntax: a comma inside a value is written twice.</summary>
    private static string Escape(string value) => value.Replace(",", ",,", StringComparison.Ordinal);
}
