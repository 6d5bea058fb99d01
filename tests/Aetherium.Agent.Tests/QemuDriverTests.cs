using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Aetherium.Agent.Runtime;
using Aetherium.Agent.Runtime.Process;
using Aetherium.Agent.Runtime.Qemu;
using Aetherium.Contracts;
using Aetherium.Contracts.Agent;
using Aetherium.Testing;
using Org.BouncyCastle.Crypto.Generators;
using Xunit.Abstractions;

namespace Aetherium.Agent.Tests;

/// <summary>
/// The qemu driver on this machine: real qemu-system-x86_64 VMs (TCG here: no usable KVM) booted from the
/// project's own image, logged in to with the real ssh client as a tenant would.
/// </summary>
public sealed class QemuDriverTests(QemuImageFixture image, ITestOutputHelper output) : IClassFixture<QemuImageFixture>, IAsyncLifetime
{
    /// <summary>A TCG boot takes seconds on a quiet machine; a loaded 2-core one is given much more.</summary>
    private static readonly TimeSpan BootWait = TimeSpan.FromMinutes(2);

    private readonly TempDir _data = new();
    private readonly List<QemuDriver> _drivers = [];

    private QemuDriver Driver(string? imageDirectory = null)
    {
        var driver = new QemuDriver(new QemuDriverOptions
        {
            DataDirectory = _data.Path,
            ImageDirectory = imageDirectory ?? image.ImageDirectory,
            StopGrace = TimeSpan.FromSeconds(20),
            RestartBackoff = TimeSpan.FromSeconds(0.5),
            BootTimeout = BootWait,
        }, TestLoggerProvider.Factory(output).CreateLogger("qemu"));
        _drivers.Add(driver);
        return driver;
    }

    private static DesiredVmData Vm(string name, VmAccess access, int cpu = 1, int memoryMb = 192) =>
        new(Guid.NewGuid(), name, "aetherium-tiny", cpu, memoryMb, 1, 0, PowerStates.Running, null, Vms.FreePort(), 1, access);

    private static Task<VmRuntimeState> StateAsync(QemuDriver driver, Guid vmId, Func<VmRuntimeState, bool> until, string because, TimeSpan? wait = null) =>
        Eventually.GetAsync(() => Task.FromResult(driver.Snapshot().Single(v => v.VmId == vmId)), until, wait ?? BootWait, because);

    /// <summary>Boots (or waits for a boot) until the guest's sshd answers; prints the time and qemu's memory.</summary>
    private async Task<VmRuntimeState> ReadyAsync(QemuDriver driver, DesiredVmData vm, Stopwatch since, string what, int restarts = 0)
    {
        var state = await StateAsync(driver, vm.VmId, s => s.State == AgentVmStates.Running && s.Restarts == restarts, $"{what}: ssh answers");
        Assert.Contains("ssh answered", state.Reason);
        output.WriteLine($"{what}: boot to ssh-ready {since.Elapsed.TotalSeconds:0.0} s ({state.Reason}); qemu RSS {RssMb(driver.ProcessId(vm.VmId))} MB");
        return state;
    }

    private static long RssMb(int pid) =>
        File.ReadLines($"/proc/{pid}/status").Where(l => l.StartsWith("VmRSS:", StringComparison.Ordinal))
            .Select(l => long.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024).Single();

    private static bool PortFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Any, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private (int Code, string Output) Ssh(DesiredVmData vm, string command)
    {
        var result = Tool.Ssh(vm.Port, vm.Access!.Username, command, keyFile: image.KeyFile);
        output.WriteLine($"ssh {command} -> {result.Code}: {result.Output.Trim()}");
        return result;
    }

    [Fact]
    public async Task A_vm_boots_to_ssh_with_its_name_and_spec_keeps_its_disk_across_stop_and_start_comes_back_after_qemu_is_killed_and_leaves_nothing_when_deleted()
    {
        output.WriteLine(image.BuildLine);
        var driver = Driver();
        var vm = Vm("qemu-test-vm", new VmAccess("tenant", image.PublicKey, null), cpu: 2, memoryMb: 192);

        var boot = Stopwatch.StartNew();
        await driver.StartAsync(vm, CancellationToken.None);
        await ReadyAsync(driver, vm, boot, "first boot (formats the disk)");

        // Logged in with the key: the guest is named after the VM and has its vCPUs and memory.
        var (code, text) = Ssh(vm, "hostname; nproc; free -m | awk '/^Mem:/ {print $2}'; cat /proc/sys/kernel/random/boot_id; echo kept > kept.txt; sync");
        Assert.Equal(0, code);
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal("qemu-test-vm", lines[0]);
        Assert.Equal("2", lines[1]);
        // free's total is the memory less what the kernel keeps for itself and the initramfs.
        Assert.InRange(int.Parse(lines[2]), vm.MemoryMb - 80, vm.MemoryMb);
        var firstBoot = lines[3];

        // Stop: the ACPI power button, the guest powers itself off; qemu and the port are gone.
        var firstPid = driver.ProcessId(vm.VmId);
        await driver.StopAsync(vm with { PowerState = PowerStates.Stopped }, CancellationToken.None);
        var stopped = driver.Snapshot().Single(s => s.VmId == vm.VmId);
        Assert.Equal((AgentVmStates.Stopped, "powered off (ACPI power button)"), (stopped.State, stopped.Reason));
        Assert.False(Posix.IsAlive(firstPid));
        Assert.True(PortFree(vm.Port));

        // Start (a restart is these two steps, as the reconciler does it): the same disk, a new boot.
        boot.Restart();
        await driver.StartAsync(vm with { Generation = 2 }, CancellationToken.None);
        await ReadyAsync(driver, vm, boot, "second boot (same disk)");
        (code, text) = Ssh(vm, "cat kept.txt; cat /proc/sys/kernel/random/boot_id");
        Assert.Equal(0, code);
        lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal("kept", lines[0]);
        Assert.NotEqual(firstBoot, lines[1]);

        // qemu killed: restarted with backoff, counted, and the disk is still there.
        var killed = driver.ProcessId(vm.VmId);
        boot.Restart();
        Assert.True(Posix.Kill(killed, Posix.SigKill));
        var restarted = await ReadyAsync(driver, vm, boot, "after qemu was killed", restarts: 1);
        Assert.Equal(1, restarted.Restarts);
        Assert.NotEqual(killed, driver.ProcessId(vm.VmId));
        (code, text) = Ssh(vm, "cat kept.txt");
        Assert.Equal((0, "kept"), (code, text.Trim()));

        // Delete: no process, no file, no port left.
        var last = driver.ProcessId(vm.VmId);
        var directory = driver.Files(vm.VmId).Directory;
        Assert.True(File.Exists(driver.Files(vm.VmId).Disk));
        await driver.RemoveAsync(vm.VmId, CancellationToken.None);
        Assert.DoesNotContain(driver.Snapshot(), s => s.VmId == vm.VmId);
        Assert.False(Posix.IsAlive(last));
        Assert.False(Directory.Exists(directory));
        Assert.True(PortFree(vm.Port));
        Assert.Empty(QemuProcesses(vm.VmId));
    }

    [Fact]
    public async Task A_password_only_vm_logs_in_with_its_password_and_not_with_another()
    {
        var driver = Driver();
        var password = "pw-" + Guid.NewGuid().ToString("N")[..12];
        // Hashed as the lease service hashes a lease's generated password: bcrypt in crypt(3) form.
        var hash = OpenBsdBCrypt.Generate("2b", password.ToCharArray(), System.Security.Cryptography.RandomNumberGenerator.GetBytes(16), 10);
        var vm = Vm("qemu-password-vm", new VmAccess("renter", null, hash));

        var boot = Stopwatch.StartNew();
        await driver.StartAsync(vm, CancellationToken.None);
        await ReadyAsync(driver, vm, boot, "password VM");

        var (code, text) = Tool.Ssh(vm.Port, "renter", "whoami; hostname", password: password);
        Assert.Equal(0, code);
        Assert.Equal(["renter", "qemu-password-vm"], text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        var (wrongCode, _) = Tool.Ssh(vm.Port, "renter", "whoami", password: password + "x");
        Assert.NotEqual(0, wrongCode);
        // The seed holds the hash: only the agent's user can read it.
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(driver.Files(vm.VmId).Seed));
    }

    [Fact]
    public async Task A_corrupt_image_fails_the_vm_with_the_checksum_mismatch_and_never_starts_qemu()
    {
        // A copy of the image with one byte of its initrd changed.
        var corrupt = _data.Combine("corrupt-image");
        Directory.CreateDirectory(corrupt);
        foreach (var file in Directory.GetFiles(image.ImageDirectory)) File.Copy(file, Path.Combine(corrupt, Path.GetFileName(file)));
        var initrd = Path.Combine(corrupt, "initrd.img");
        var bytes = File.ReadAllBytes(initrd);
        bytes[bytes.Length / 2] ^= 0xff;
        File.WriteAllBytes(initrd, bytes);
        var driver = Driver(corrupt);
        var vm = Vm("qemu-corrupt-vm", new VmAccess("tenant", image.PublicKey, null));

        await driver.StartAsync(vm, CancellationToken.None);

        var state = driver.Snapshot().Single(s => s.VmId == vm.VmId);
        Assert.Equal(AgentVmStates.Failed, state.State);
        Assert.StartsWith("image aetherium-tiny: checksum mismatch for initrd.img", state.Reason);
        Assert.Equal(0, driver.ProcessId(vm.VmId));
        Assert.Empty(QemuProcesses(vm.VmId));
        Assert.False(File.Exists(driver.Files(vm.VmId).Disk));
        Assert.True(PortFree(vm.Port));
    }

    /// <summary>qemu processes of this VM, by the name the driver gives them on their command line.</summary>
    private static IReadOnlyList<int> QemuProcesses(Guid vmId)
    {
        var name = $"aetherium-{vmId:N}";
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                if (File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0').Contains(name) && Posix.IsAlive(pid)) found.Add(pid);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
        return found;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var driver in _drivers) await driver.DisposeAsync();
        _data.Dispose();
    }
}
