namespace Aetherium.Agent.Runtime.Qemu;

/// <summary>Whether qemu can use KVM here: the CPU offers hardware virtualisation and /dev/kvm opens read-write.</summary>
public static class Kvm
{
    /// <summary>
    /// Both are needed: some sandboxes (a Firecracker guest, this project's build machine) expose a
    /// /dev/kvm whose VMs never boot while the CPU lacks vmx/svm; there qemu must use TCG.
    /// </summary>
    public static bool Usable()
    {
        try
        {
            if (!File.ReadLines("/proc/cpuinfo").Any(l => l.StartsWith("flags", StringComparison.Ordinal)
                    && (l.Contains(" vmx", StringComparison.Ordinal) || l.Contains(" svm", StringComparison.Ordinal))))
                return false;
            using var kvm = new FileStream("/dev/kvm", FileMode.Open, FileAccess.ReadWrite);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
