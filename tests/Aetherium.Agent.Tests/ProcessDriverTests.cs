using System.Net.Sockets;
using Aetherium.Agent.Facts;
using Aetherium.Agent.Runtime;
using Aetherium.Agent.Runtime.Process;
using Aetherium.Agent.Workload;
using Aetherium.Contracts;
using Aetherium.Contracts.Agent;
using Aetherium.Testing;
using Xunit.Abstractions;
using static Aetherium.Agent.Tests.Vms;

namespace Aetherium.Agent.Tests;

/// <summary>The process driver on this machine: real child processes, really limited, really stopped.</summary>
public sealed class ProcessDriverTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly TempDir _data = new();
    private readonly List<ProcessDriver> _drivers = [];

    private ProcessDriver Driver(LimitMode limits = LimitMode.Auto, int maxRestarts = 5, double backoffSeconds = 0.3,
        IReadOnlyList<string>? selfCommand = null)
    {
        var driver = new ProcessDriver(new ProcessDriverOptions
        {
            DataDirectory = _data.Path,
            SelfCommand = selfCommand ?? AgentBinary.Command,
            StopGrace = TimeSpan.FromSeconds(1),
            MaxRestarts = maxRestarts,
            RestartBackoff = TimeSpan.FromSeconds(backoffSeconds),
            Limits = limits,
        }, TestLoggerProvider.Factory(output).CreateLogger("driver"));
        _drivers.Add(driver);
        return driver;
    }

    private static Task<VmRuntimeState> StateAsync(IRuntimeDriver driver, Guid vmId, Func<VmRuntimeState, bool> until, string because) =>
        Eventually.GetAsync(() => Task.FromResult(driver.Snapshot().Single(v => v.VmId == vmId)), until, TimeSpan.FromSeconds(20), because);

    /// <summary>Where the driver puts a VM's sign-in files: beside its log.</summary>
    private static string AccessDirectory(ProcessDriver driver, Guid vmId) => Path.Combine(Path.GetDirectoryName(driver.LogFile(vmId))!, "access");

    private static Task<VmRuntimeState> RunningAsync(IRuntimeDriver driver, Guid vmId) =>
        StateAsync(driver, vmId, s => s.State == AgentVmStates.Running, "the VM runs");

    [Fact]
    public async Task Starts_a_real_process_in_its_own_group_with_the_vm_environment_and_keeps_its_output()
    {
        var driver = Driver();
        var vm = Vm(command: "echo \"id=$AETHERIUM_VM_ID port=$AETHERIUM_VM_PORT token=${AETHERIUM_TOKEN:-none}\"; echo oops >&2; exec sleep 600", port: 4242);
        Environment.SetEnvironmentVariable("AETHERIUM_TOKEN", "agent-secret-token");
        try
        {
            await driver.StartAsync(vm, CancellationToken.None);
        }
        finally
        {
            Environment.SetEnvironmentVariable("AETHERIUM_TOKEN", null);
        }

        // It has a port but never listens on it: started, yet not "running" to a tenant.
        var started = await StateAsync(driver, vm.VmId, s => s.State == AgentVmStates.Provisioning && s.Reason!.StartsWith("pid "), "started");
        Assert.Contains("waiting for port 4242", started.Reason);
        var pid = PidIn(started.Reason);
        Assert.True(Posix.IsAlive(pid));
        Assert.Equal(pid, Posix.ReadStat(pid)!.Value.ProcessGroup); // its own process group: stop can reach the whole tree
        await Eventually.TrueAsync(async () => (await File.ReadAllTextAsync($"/proc/{pid}/cmdline")) == "sleep\0600\0", because: "the launcher execs into the workload: one pid throughout");
        await Eventually.TrueAsync(() => Task.FromResult(driver.Output(vm.VmId).Contains($"id={vm.VmId} port=4242 token=none")), because: "stdout is kept, and the agent's token is not inherited");
        Assert.Contains("oops", driver.Output(vm.VmId));
        var log = await File.ReadAllTextAsync(driver.LogFile(vm.VmId)!);
        Assert.Contains($"out id={vm.VmId} port=4242 token=none", log);
        Assert.Contains("err oops", log);
        Assert.StartsWith(_data.Path, driver.LogFile(vm.VmId));
    }

    [Fact]
    public async Task The_tenants_key_reaches_the_vm_as_private_cloud_init_and_authorized_keys_files_removed_with_it()
    {
        var driver = Driver();
        const string key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKxvPLbqbn5VS+Sf1wQbJW3n0PV7mBUm0gpuLClIqzkH tenant@laptop";
        var vm = Vm(command: "echo \"user=$AETHERIUM_VM_USER keys=$(cat \"$AETHERIUM_VM_AUTHORIZED_KEYS\")\"; exec sleep 600")
            with { Access = new VmAccess("tenant", key, null) };
        await driver.StartAsync(vm, CancellationToken.None);
        await RunningAsync(driver, vm.VmId);

        await Eventually.TrueAsync(() => Task.FromResult(driver.Output(vm.VmId).Contains($"user=tenant keys={key}")), because: "the workload finds its user and key");
        var dir = AccessDirectory(driver, vm.VmId);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(dir));
        foreach (var file in new[] { "authorized_keys", "user-data", "meta-data" })
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(dir, file)));
        var userData = await File.ReadAllTextAsync(Path.Combine(dir, "user-data"));
        Assert.StartsWith("#cloud-config\n", userData);
        Assert.Contains("  - name: \"tenant\"", userData);
        Assert.Contains($"    ssh_authorized_keys:\n      - \"{key}\"", userData);
        Assert.Contains("lock_passwd: true", userData);
        Assert.Contains($"instance-id: {vm.VmId}", await File.ReadAllTextAsync(Path.Combine(dir, "meta-data")));

        await driver.RemoveAsync(vm.VmId, CancellationToken.None);
        Assert.False(Directory.Exists(dir), "the sign-in files outlived the VM");
    }

    [Fact]
    public async Task A_password_lease_gives_the_vm_only_the_hash_and_no_authorized_keys()
    {
        var driver = Driver();
        const string hash = "$2b$10$abcdefghijklmnopqrstuuJq0s4y4bQ0B5s0b6qZ5Yy6fQk7m3Gxu";
        var vm = Vm() with { Access = new VmAccess("tenant", null, hash) };
        await driver.StartAsync(vm, CancellationToken.None);
        await RunningAsync(driver, vm.VmId);

        var dir = AccessDirectory(driver, vm.VmId);
        var userData = await File.ReadAllTextAsync(Path.Combine(dir, "user-data"));
        Assert.Contains($"    hashed_passwd: \"{hash}\"\n    lock_passwd: false\n", userData);
        Assert.Contains("ssh_pwauth: true", userData);
        Assert.False(File.Exists(Path.Combine(dir, "authorized_keys")));
    }

    [Fact]
    public async Task Stop_sends_sigterm_then_sigkill_to_the_whole_group_and_leaves_no_process_behind()
    {
        var driver = Driver();
        var vm = Vm(command: "trap '' TERM; sleep 600 & sleep 600 & wait");
        await driver.StartAsync(vm, CancellationToken.None);
        var pid = PidIn((await RunningAsync(driver, vm.VmId)).Reason);
        var members = await Eventually.GetAsync(() => Task.FromResult(Posix.GroupMembers(pid)), m => m.Count >= 3, because: "the shell and its two children");

        await driver.StopAsync(vm with { PowerState = PowerStates.Stopped }, CancellationToken.None);

        var state = driver.Snapshot().Single();
        Assert.Equal(AgentVmStates.Stopped, state.State);
        Assert.Contains("SIGKILL", state.Reason);
        Assert.All(members, p => Assert.False(Posix.IsAlive(p), $"pid {p} outlived its VM"));
    }

    [Fact]
    public async Task A_workload_that_honours_sigterm_stops_cleanly()
    {
        var driver = Driver();
        var vm = Vm(command: "exec sleep 600");
        await driver.StartAsync(vm, CancellationToken.None);
        var pid = PidIn((await RunningAsync(driver, vm.VmId)).Reason);

        await driver.RemoveAsync(vm.VmId, CancellationToken.None);

        Assert.False(Posix.IsAlive(pid));
        Assert.Empty(driver.Snapshot());
    }

    [Fact]
    public async Task A_vm_that_keeps_failing_is_reported_failed_restarted_per_policy_then_given_up()
    {
        var driver = Driver(maxRestarts: 2, backoffSeconds: 0.5);
        var vm = Vm(command: "echo started; sleep 0.3; echo broken >&2; exit 3");
        await driver.StartAsync(vm, CancellationToken.None);

        var failing = await StateAsync(driver, vm.VmId, s => s.State == AgentVmStates.Failed && s.Reason!.Contains("restarting"), "reported failed between restarts");
        Assert.Contains("exited with code 3", failing.Reason);
        Assert.Contains("last output: broken", failing.Reason);
        await StateAsync(driver, vm.VmId, s => s.State == AgentVmStates.Running && s.Restarts >= 1, "restarted");
        var given = await StateAsync(driver, vm.VmId, s => s.State == AgentVmStates.Failed && s.Reason!.Contains("gave up"), "gives up after the maximum");

        Assert.Equal(2, given.Restarts);
        Assert.Contains("gave up after 2 restart(s)", given.Reason);
        Assert.Equal(3, File.ReadAllLines(driver.LogFile(vm.VmId)!).Count(l => l.EndsWith("out started")));
    }

    [Fact]
    public async Task A_vm_process_killed_from_outside_is_restarted_and_the_restart_counted()
    {
        var driver = Driver(backoffSeconds: 1);
        var vm = Vm(command: "exec sleep 600");
        await driver.StartAsync(vm, CancellationToken.None);
        var first = PidIn((await RunningAsync(driver, vm.VmId)).Reason);

        Posix.Kill(first, Posix.SigKill);

        var failed = await StateAsync(driver, vm.VmId, s => s.State == AgentVmStates.Failed, "the death is reported");
        Assert.Contains("killed by signal 9", failed.Reason);
        var again = await StateAsync(driver, vm.VmId, s => s.State == AgentVmStates.Running && s.Restarts == 1, "restarted once");
        var second = PidIn(again.Reason);
        Assert.NotEqual(first, second);
        Assert.True(Posix.IsAlive(second));
    }

    [Fact]
    public async Task A_vm_that_exits_cleanly_is_stopped_not_restarted()
    {
        var driver = Driver();
        var vm = Vm(command: "echo done");
        await driver.StartAsync(vm, CancellationToken.None);

        var state = await StateAsync(driver, vm.VmId, s => s.State == AgentVmStates.Stopped, "it finished");

        Assert.Equal(0, state.Restarts);
        Assert.StartsWith("exited with code 0", state.Reason);
    }

    [Fact]
    public async Task Cpu_and_memory_limits_are_applied_as_this_machine_allows()
    {
        var driver = Driver();
        var vm = Vm(command: "exec sleep 600", cpu: 1, memoryMb: 64);
        await driver.StartAsync(vm, CancellationToken.None);
        var state = await RunningAsync(driver, vm.VmId);
        var pid = PidIn(state.Reason);
        var name = vm.VmId.ToString("N");
        output.WriteLine($"enforcement: {driver.LimitEnforcement}; reason: {state.Reason}");
        List<string> cgroups = [];

        switch (driver.LimitEnforcement)
        {
            case "cgroup-v1":
                var memoryPath = await CgroupOfAsync(pid, "memory");
                Assert.EndsWith($"/aetherium-vms/{name}", memoryPath);
                var memory = "/sys/fs/cgroup/memory" + memoryPath;
                Assert.Equal((64L * 1024 * 1024).ToString(), File.ReadAllText(Path.Combine(memory, "memory.limit_in_bytes")).Trim());
                Assert.Contains(pid.ToString(), File.ReadAllLines(Path.Combine(memory, "cgroup.procs")));
                cgroups.Add(memory);
                Assert.Contains("cgroup v1: memory 64 MiB", state.Reason);
                if (state.Reason!.Contains("cpu 1 core(s)"))
                {
                    var cpu = "/sys/fs/cgroup/cpu" + await CgroupOfAsync(pid, "cpu");
                    Assert.EndsWith($"/aetherium-vms/{name}", cpu);
                    Assert.Equal("100000", File.ReadAllText(Path.Combine(cpu, "cpu.cfs_quota_us")).Trim());
                    Assert.Equal("100000", File.ReadAllText(Path.Combine(cpu, "cpu.cfs_period_us")).Trim());
                    cgroups.Add(cpu);
                }
                break;
            case "cgroup-v2":
                var dir = "/sys/fs/cgroup" + await CgroupOfAsync(pid, "");
                Assert.Equal((64L * 1024 * 1024).ToString(), File.ReadAllText(Path.Combine(dir, "memory.max")).Trim());
                cgroups.Add(dir);
                break;
            default:
                Assert.Equal("rlimit", driver.LimitEnforcement);
                Assert.Contains(File.ReadAllLines($"/proc/{pid}/limits"), l => l.StartsWith("Max address space") && l.Contains((64L * 1024 * 1024).ToString()));
                break;
        }

        await driver.StopAsync(vm with { PowerState = PowerStates.Stopped }, CancellationToken.None);
        Assert.All(cgroups, c => Assert.False(Directory.Exists(c), $"{c} is removed with its VM"));
    }

    [Fact]
    public async Task A_workload_that_exceeds_its_memory_limit_is_stopped_and_reported()
    {
        var driver = Driver(maxRestarts: 0);
        // tail buffers a line without end: up to 300 MB, against a 64 MiB limit.
        var vm = Vm(command: "head -c 300000000 /dev/zero | tail", memoryMb: 64);
        await driver.StartAsync(vm, CancellationToken.None);

        var state = await StateAsync(driver, vm.VmId, s => s.State == AgentVmStates.Failed, "the memory hog fails");

        output.WriteLine(state.Reason);
        if (driver.LimitEnforcement == "rlimit") Assert.Contains("tail: memory exhausted", driver.Output(vm.VmId));
        else Assert.Contains("killed by the kernel: out of memory (cgroup v", state.Reason);
    }

    [Fact]
    public async Task Without_cgroups_the_rlimit_fallback_caps_the_address_space()
    {
        var driver = Driver(LimitMode.Rlimit, maxRestarts: 0);
        var sleeper = Vm(command: "exec sleep 600", memoryMb: 64);
        var hog = Vm(command: "head -c 300000000 /dev/zero | tail", memoryMb: 64);
        await driver.StartAsync(sleeper, CancellationToken.None);
        await driver.StartAsync(hog, CancellationToken.None);

        var running = await RunningAsync(driver, sleeper.VmId);
        Assert.Contains("rlimit: address space 64 MiB (RLIMIT_AS), cpu not limited", running.Reason);
        var pid = PidIn(running.Reason);
        // "running" comes as the launcher starts: the limit is set once it has exec'd into the workload.
        await Eventually.TrueAsync(async () => (await File.ReadAllTextAsync($"/proc/{pid}/cmdline")) == "sleep\0600\0", because: "the launcher execs into the workload");
        var limit = File.ReadAllLines($"/proc/{pid}/limits").Single(l => l.StartsWith("Max address space"));
        Assert.Equal(["67108864", "67108864", "bytes"], limit["Max address space".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        var failed = await StateAsync(driver, hog.VmId, s => s.State == AgentVmStates.Failed, "allocation beyond the limit fails");
        Assert.StartsWith("exited with code 1", failed.Reason);
        Assert.Contains("tail: memory exhausted", driver.Output(hog.VmId));
    }

    [Fact]
    public async Task The_built_in_workload_answers_on_its_port_with_a_banner_naming_the_vm()
    {
        var driver = Driver();
        var port = FreePort();
        var vm = Vm(name: "tenant-web", command: null, port: port, memoryMb: 256);
        await driver.StartAsync(vm, CancellationToken.None);
        await RunningAsync(driver, vm.VmId);

        foreach (var host in new[] { "127.0.0.1", HostFacts.PrimaryAddress() })
        {
            var banner = await Eventually.GetAsync(() => BannerAsync(host, port), b => b is not null, TimeSpan.FromSeconds(20), $"listening on {host}:{port}");
            Assert.Equal(VmWorkload.Banner("tenant-web", vm.VmId.ToString(), HostFacts.Hostname(), port), banner);
        }
    }

    [Fact]
    public async Task The_built_in_workload_runs_from_a_copy_when_the_agents_folder_is_private()
    {
        // As from a checkout in a 0700 folder (a fresh clone under mktemp -d): VM users cannot reach the agent's program.
        using var hidden = new TempDir();
        File.SetUnixFileMode(hidden.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var program = hidden.Combine("agent", "aetherium-agent");
        CopyDirectory(AgentBinary.Directory, hidden.Combine("agent"));
        var driver = Driver(selfCommand: [program]);
        var port = FreePort();
        var vm = Vm(name: "hidden-web", command: null, port: port, memoryMb: 256);

        await driver.StartAsync(vm, CancellationToken.None);
        await RunningAsync(driver, vm.VmId);

        var banner = await Eventually.GetAsync(() => BannerAsync("127.0.0.1", port), b => b is not null, TimeSpan.FromSeconds(20), "listening");
        Assert.Equal(VmWorkload.Banner("hidden-web", vm.VmId.ToString(), HostFacts.Hostname(), port), banner);
        var copy = Path.Combine(_data.Path, "workload", "aetherium-agent");
        Assert.True(File.Exists(copy), "the program is copied into the data directory");
        Assert.Equal(UnixFileMode.None, File.GetUnixFileMode(Path.GetDirectoryName(copy)!) & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite));
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var dir in Directory.GetDirectories(from)) CopyDirectory(dir, Path.Combine(to, Path.GetFileName(dir)));
        foreach (var file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
    }

    [Fact]
    public async Task Disposing_the_driver_stops_every_vm()
    {
        var driver = Driver();
        var vms = new[] { Vm(command: "exec sleep 600"), Vm(command: "sleep 600 & wait") };
        foreach (var vm in vms) await driver.StartAsync(vm, CancellationToken.None);
        var pids = new List<int>();
        foreach (var vm in vms) pids.Add(PidIn((await RunningAsync(driver, vm.VmId)).Reason));
        var members = pids.SelectMany(Posix.GroupMembers).ToList();

        await driver.DisposeAsync();
        _drivers.Remove(driver);

        Assert.All(members, p => Assert.False(Posix.IsAlive(p)));
    }

    private static async Task<string?> BannerAsync(string host, int port)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(host, port);
            using var reader = new StreamReader(client.GetStream());
            return await reader.ReadToEndAsync();
        }
        catch (SocketException)
        {
            return null;
        }
    }

    /// <summary>A process's cgroup path in one hierarchy ("" = the v2 unified one).</summary>
    /// <summary>
    /// The process's cgroup of a controller, once it is a VM's: the VM's shell moves itself there first thing,
    /// which may be a moment after the driver reports it running.
    /// </summary>
    private static async Task<string> CgroupOfAsync(int pid, string controller)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (true)
        {
            var path = File.ReadAllLines($"/proc/{pid}/cgroup").Select(l => l.Split(':', 3))
                .Single(p => controller.Length == 0 ? p[1].Length == 0 : p[1].Split(',').Contains(controller))[2];
            if (path.Contains("/aetherium-vms/", StringComparison.Ordinal) || DateTime.UtcNow > deadline) return path;
            await Task.Delay(20);
        }
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var driver in _drivers) await driver.DisposeAsync();
        _data.Dispose();
    }
}
