using System.Diagnostics;
using System.Globalization;
using Aetherium.Agent.Runtime.Process;
using Aetherium.Contracts;

namespace Aetherium.Agent.Runtime.Qemu;

/// <summary>A VM's disk (made once, kept across stop/start) and its NoCloud seed (made at every start).</summary>
internal static class QemuDisks
{
    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>A copy-on-write overlay of the image's base disk, disk_gb large; an existing one is kept as it is.</summary>
    public static async Task EnsureDiskAsync(QemuDriverOptions options, QemuImage image, QemuVmFiles files, int diskGb, CancellationToken ct)
    {
        if (File.Exists(files.Disk)) return;
        var partial = files.Disk + ".new";
        File.Delete(partial);
        await RunAsync(options.QemuImgBinary, ["create", "-q", "-f", "qcow2", "-b", Path.GetFullPath(image.DiskPath), "-F", "qcow2",
            partial, string.Create(CultureInfo.InvariantCulture, $"{Math.Max(1, diskGb)}G")], ct);
        File.SetUnixFileMode(partial, Private);
        File.Move(partial, files.Disk);
    }

    /// <summary>
    /// The seed ISO ("cidata": user-data, meta-data) from the files the process driver also writes,
    /// so both drivers give a VM the same sign-in; mode 0600, as it holds the key or password hash.
    /// </summary>
    public static async Task WriteSeedAsync(QemuDriverOptions options, QemuVmFiles files, Guid vmId, string name, VmAccess? access, CancellationToken ct)
    {
        VmAccessFiles.WriteFiles(files.Directory, vmId, name, access);
        var dir = VmAccessFiles.DirectoryOf(files.Directory);
        if (access is null)
        {
            // No tenant sign-in: the seed still names the machine.
            Directory.CreateDirectory(dir, Private | UnixFileMode.UserExecute);
            await File.WriteAllTextAsync(Path.Combine(dir, "meta-data"), VmAccessFiles.MetaData(vmId, name), ct);
            await File.WriteAllTextAsync(Path.Combine(dir, "user-data"), "#cloud-config\n", ct);
        }
        var partial = files.Seed + ".new";
        File.Delete(partial);
        // genisoimage keeps the mode of the file it overwrites: private from the first byte.
        using (new FileStream(partial, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = Private })) { }
        await RunAsync(options.IsoBinary, ["-quiet", "-output", partial, "-volid", "cidata", "-joliet", "-rock",
            Path.Combine(dir, "user-data"), Path.Combine(dir, "meta-data")], ct);
        File.Move(partial, files.Seed, overwrite: true);
    }

    /// <summary>Runs a tool to completion; its message becomes the exception's when it fails.</summary>
    private static async Task RunAsync(string tool, IReadOnlyList<string> args, CancellationToken ct)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = System.Diagnostics.Process.Start(start) ?? throw new IOException($"{tool} did not start");
        var error = process.StandardError.ReadToEndAsync(ct);
        await process.StandardOutput.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        if (process.ExitCode != 0) throw new IOException($"{tool} exited with code {process.ExitCode}: {(await error).Trim()}");
    }
}
