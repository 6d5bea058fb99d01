using System.Runtime.InteropServices;

namespace Aetherium.Agent.Facts;

/// <summary>Size and use of the filesystem that holds a path, as statvfs(3) (and df) see it.</summary>
public readonly record struct DiskSpace(long TotalBytes, long FreeBytes, long AvailableBytes)
{
    /// <summary>As df computes Use%: used / (used + available to unprivileged users).</summary>
    public double UsagePercent
    {
        get
        {
            var used = TotalBytes - FreeBytes;
            var denominator = used + AvailableBytes;
            return denominator <= 0 ? 0 : Math.Clamp(100.0 * used / denominator, 0, 100);
        }
    }

    public long UsedBytes => TotalBytes - FreeBytes;
}

public static partial class FileSystemStats
{
    // struct statvfs of 64-bit glibc (x86-64 and aarch64 share it): eleven unsigned longs, then six ints.
    [StructLayout(LayoutKind.Sequential)]
    private struct StatVfs
    {
        public ulong f_bsize, f_frsize, f_blocks, f_bfree, f_bavail, f_files, f_ffree, f_favail, f_fsid, f_flag, f_namemax;
        public int spare0, spare1, spare2, spare3, spare4, spare5;
    }

    [LibraryImport("libc", EntryPoint = "statvfs", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int StatVfsNative(string path, out StatVfs buffer);

    public static DiskSpace Of(string path)
    {
        if (StatVfsNative(path, out var s) != 0)
            throw new IOException($"statvfs({path}) failed: errno {Marshal.GetLastPInvokeError()}");
        var unit = s.f_frsize != 0 ? s.f_frsize : s.f_bsize;
        return new DiskSpace((long)(s.f_blocks * unit), (long)(s.f_bfree * unit), (long)(s.f_bavail * unit));
    }
}
