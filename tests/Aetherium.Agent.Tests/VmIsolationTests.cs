using Aetherium.Agent.Install;
using Aetherium.Agent.Runtime.Isolation;
using Aetherium.Agent.Runtime.Process;
using Aetherium.Contracts;
using Aetherium.Contracts.Agent;
using Aetherium.Testing;
using Xunit.Abstractions;
using static Aetherium.Agent.Tests.Vms;

namespace Aetherium.Agent.Tests;

/// <summary>Runs only as root: switching to another user needs it (the tests run as root here and in CI).</summary>
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute()
    {
        if (!Environment.IsPrivilegedProcess) Skip = "needs root: an agent that is not root cannot run VMs as other users";
    }
}

/// <summary>
/// A VM of the process driver, as root: its workload runs as an unprivileged user of its own and finds
/// out for itself (with cat and ls) what it can read; the test reads what it found in its output.
/// </summary>
public sealed class VmIsolationTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Token = "eyJhbGciOi.worker-token.isolation-secret";
    private const string KeyA = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKxvPLbqbn5VS+Sf1wQbJW3n0PV7mBUm0gpuLClIqzkH tenant-a@laptop";
    private const string KeyB = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb tenant-b@laptop";
    private readonly TempDir _machine = Passable(new TempDir());
    private readonly List<ProcessDriver> _drivers = [];

    /// <summary>A machine's root: everyone passes it, as / and /var/lib (a temporary directory is 0700).</summary>
    private static TempDir Passable(TempDir dir)
    {
        File.SetUnixFileMode(dir.Path, (UnixFileMode)0b111_101_101);
        return dir;
    }

    private string DataDirectory => _machine.Combine("var", "lib", "aetherium-agent");

    private ProcessDriver Driver()
    {
        var driver = new ProcessDriver(new ProcessDriverOptions
        {
            DataDirectory = DataDirectory,
            SelfCommand = AgentBinary.Command,
            StopGrace = TimeSpan.FromSeconds(1),
        }, TestLoggerProvider.Factory(output).CreateLogger("driver"));
        _drivers.Add(driver);
        return driver;
    }

    private static Task<string> LineAsync(ProcessDriver driver, Guid vmId, string prefix) =>
        Eventually.GetAsync(() => Task.FromResult(driver.Output(vmId).FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal)) ?? ""),
            l => l.Length > 0, TimeSpan.FromSeconds(20), $"the workload reports {prefix}");

    private static async Task<string> ValueAsync(ProcessDriver driver, Guid vmId, string name) => (await LineAsync(driver, vmId, name + "="))[(name.Length + 1)..];

    private static string VmDirectory(ProcessDriver driver, Guid vmId) => Path.GetDirectoryName(driver.LogFile(vmId))!;

    [RootFact]
    public async Task Each_vm_runs_as_a_user_of_its_own_that_cannot_read_the_agents_token_its_data_or_another_vms_files()
    {
        // The agent's configuration (and token) where `install` puts it, as on an enrolled machine.
        Directory.CreateDirectory(_machine.Combine("etc"));
        var configDirectory = _machine.Combine("etc", "aetherium-agent");
        var installed = await Installer.RunAsync(new InstallRequest(new Uri("http://controller.example:8080"), Token, null, DataDirectory,
            _machine.Combine("systemd"), configDirectory, NoStart: true, ["/opt/aetherium-agent/aetherium-agent"], _machine.Combine("no-systemd")), TextWriter.Null, CancellationToken.None);
        Assert.Equal(Installer.SystemdMissingExitCode, installed);
        var config = Installer.ConfigFilePath(configDirectory);
        Assert.Contains(Token, await File.ReadAllTextAsync(config));

        var driver = Driver();
        var b = Vm(name: "tenant-b", command: "echo \"uid=$(id -u)\"; exec sleep 600") with { Access = new VmAccess("tenant-b", KeyB, null) };
        await driver.StartAsync(b, CancellationToken.None);
        var uidB = int.Parse(await ValueAsync(driver, b.VmId, "uid"));
        var other = VmDirectory(driver, b.VmId);
        var probes = new Dictionary<string, string>
        {
            ["config"] = $"cat '{config}'",
            ["config-dir"] = $"ls '{configDirectory}'",
            ["agent-environment"] = $"cat /proc/{Environment.ProcessId}/environ",
            ["data-dir"] = $"ls '{DataDirectory}'",
            ["vms-dir"] = $"ls '{Path.GetDirectoryName(other)}'",
            ["other-vm-dir"] = $"ls '{other}'",
            ["other-vm-keys"] = $"cat '{Path.Combine(other, "access", "authorized_keys")}'",
            ["other-vm-seed"] = $"cat '{Path.Combine(other, "access", "user-data")}'",
            ["other-vm-log"] = $"cat '{Path.Combine(other, "output.log")}'",
        };
        var script = "echo \"uid=$(id -u)\"; echo \"gid=$(id -g)\"; echo \"groups=$(id -G)\"; " +
                     "echo \"caps=$(grep CapEff /proc/self/status | cut -f2)\"; echo \"nnp=$(grep NoNewPrivs /proc/self/status | cut -f2)\"; " +
                     "echo \"own-keys=$(cat \"$AETHERIUM_VM_AUTHORIZED_KEYS\")\"; echo \"home=$(echo note > note && cat note)\"; " +
                     string.Concat(probes.Select(p => $"echo \"{p.Key}=$({p.Value} 2>&1 | head -c 300 | tr -d '\\0\\n')\"; ")) +
                     "exec sleep 600";
        var a = Vm(name: "tenant-a", command: script) with { Access = new VmAccess("tenant-a", KeyA, null) };
        await driver.StartAsync(a, CancellationToken.None);

        var uidA = int.Parse(await ValueAsync(driver, a.VmId, "uid"));
        Assert.NotEqual(0, uidA);
        Assert.NotEqual(0, uidB);
        Assert.NotEqual(uidA, uidB);
        var gid = await ValueAsync(driver, a.VmId, "gid");
        Assert.NotEqual("0", gid);
        Assert.Equal(gid, await ValueAsync(driver, a.VmId, "groups")); // no supplementary groups, root's least of all
        Assert.Equal("0000000000000000", await ValueAsync(driver, a.VmId, "caps"));
        Assert.Equal("1", await ValueAsync(driver, a.VmId, "nnp"));
        Assert.Equal(KeyA, await ValueAsync(driver, a.VmId, "own-keys"));
        Assert.Equal("note", await ValueAsync(driver, a.VmId, "home"));
        foreach (var probe in probes.Keys)
        {
            var found = await ValueAsync(driver, a.VmId, probe);
            Assert.True(found.Contains("Permission denied"), $"{probe}: {probes[probe]} gave \"{found}\"");
            Assert.DoesNotContain(Token, found);
            Assert.DoesNotContain(KeyB, found);
        }
        output.WriteLine(string.Join('\n', driver.Output(a.VmId)));
    }

    [RootFact]
    public async Task A_removed_vm_leaves_no_file_and_no_process_of_its_user_behind()
    {
        var driver = Driver();
        // A daemon that leaves the VM's process group: only its user still ties it to the VM.
        var vm = Vm(command: "echo \"uid=$(id -u)\"; setsid sleep 600 & exec sleep 600") with { Access = new VmAccess("tenant", KeyA, null) };
        await driver.StartAsync(vm, CancellationToken.None);
        var uid = int.Parse(await ValueAsync(driver, vm.VmId, "uid"));
        Assert.NotEqual(0, uid);
        var directory = VmDirectory(driver, vm.VmId);
        await Eventually.TrueAsync(() => Task.FromResult(Posix.ProcessesOfUser(uid).Count == 2), because: "the workload and its daemon run as the VM's user");

        await driver.RemoveAsync(vm.VmId, CancellationToken.None);

        Assert.False(Directory.Exists(directory), "the VM's files outlived it");
        Assert.Empty(Posix.ProcessesOfUser(uid));
    }

    [RootFact]
    public async Task A_restarted_agent_gives_a_vm_the_same_user_and_a_new_vm_another()
    {
        var vm = Vm(command: "echo \"uid=$(id -u)\"; exec sleep 600");
        var first = Driver();
        await first.StartAsync(vm, CancellationToken.None);
        var before = int.Parse(await ValueAsync(first, vm.VmId, "uid"));
        Assert.NotEqual(0, before);
        await first.DisposeAsync();
        _drivers.Remove(first);

        var restarted = Driver();
        var newcomer = Vm(command: "echo \"uid=$(id -u)\"; exec sleep 600");
        await restarted.StartAsync(newcomer, CancellationToken.None);
        await restarted.StartAsync(vm, CancellationToken.None);

        Assert.Equal(before, int.Parse(await ValueAsync(restarted, vm.VmId, "uid")));
        var other = int.Parse(await ValueAsync(restarted, newcomer.VmId, "uid"));
        Assert.NotEqual(0, other);
        Assert.NotEqual(before, other);
    }

    [Fact]
    public async Task An_agent_that_is_not_root_runs_workloads_as_itself_and_says_once_that_they_are_not_isolated()
    {
        var logs = new TestLoggerProvider(output);
        var isolation = VmIsolation.Create(DataDirectory, IdRange.Default, logs.CreateLogger("driver"), asRoot: false);
        var sandbox = isolation.Prepare(Guid.NewGuid());

        Assert.False(isolation.Isolates);
        Assert.Null(sandbox.User);
        Assert.Empty(sandbox.RunAs);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(sandbox.Directory));
        Assert.True(Directory.Exists(sandbox.Home));
        Assert.Single(logs.Lines, l => l.Contains("does not run as root: VM workloads run as its own user") && l.Contains("not isolated"));

        await isolation.RemoveAsync(sandbox);
        Assert.False(Directory.Exists(sandbox.Directory));
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var driver in _drivers) await driver.DisposeAsync();
        _machine.Dispose();
    }
}
