namespace Aetherium.Agent.Runtime.Qemu;

/// <summary>
/// A qemu VM's directory, &lt;data-dir&gt;/vms/&lt;id&gt;/: its disk (a qcow2 overlay of the image's base disk),
/// its NoCloud seed, the QMP and serial-console sockets, qemu's pid file and own messages, and the
/// VM's output log (the serial console). Deleting the VM deletes the directory.
/// </summary>
public sealed record QemuVmFiles(string Directory)
{
    public static QemuVmFiles For(string dataDirectory, Guid vmId) => new(Path.Combine(dataDirectory, "vms", vmId.ToString("N")));

    public string Disk => Path.Combine(Directory, "disk.qcow2");
    public string Seed => Path.Combine(Directory, "seed.iso");
    public string Qmp => Path.Combine(Directory, "qmp.sock");
    public string Console => Path.Combine(Directory, "console.sock");
    public string PidFile => Path.Combine(Directory, "qemu.pid");
    /// <summary>What qemu itself prints (errors such as a port already in use), replaced at each start.</summary>
    public string QemuLog => Path.Combine(Directory, "qemu.log");
    public string OutputLog => Path.Combine(Directory, "output.log");
}
