using System.Net.Sockets;
using Aetherium.Agent.Runtime.Isolation;
using Aetherium.Agent.Runtime.Process;
using Aetherium.Agent.Settings;
using Aetherium.Agent.Workload;
using Aetherium.Contracts.Agent;
using Aetherium.Testing;
using Xunit.Abstractions;
using static Aetherium.Agent.Tests.Vms;

namespace Aetherium.Agent.Tests;

/// <summary>`aetherium-agent run` as a real process, and where its settings come from.</summary>
public sealed class CommandLineTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    private ControllerDouble _controller = null!;

    public async Task InitializeAsync() => _controller = await ControllerDouble.StartAsync();

    [Fact]
    public async Task Run_registers_runs_a_placed_vm_as_a_real_process_and_exits_0_on_sigterm()
    {
        var worker = _controller.AddWorker();
        var port = FreePort();
        var vm = Vm("cli-vm", command: null, port: port, memoryMb: 256);
        worker.Desired = Desired(1, vm);
        var config = _dir.Combine("agent.json");
        await File.WriteAllTextAsync(config, $$"""{"controller": "{{_controller.Url}}", "token": "{{worker.Token}}"}""");

        await using var agent = AgentProcess.Start(["run", "--config", config, "--data-dir", _dir.Combine("data")], echo: output);
        var beat = await Eventually.GetAsync(() => Task.FromResult(agent.Alive(worker.LastHeartbeat)),
            h => h?.Data.Vms.SingleOrDefault()?.State == AgentVmStates.Running, TimeSpan.FromSeconds(60), "the placed VM runs");
        var pid = PidIn(beat!.Data.Vms.Single().Reason);
        using (var client = new TcpClient())
        {
            await client.ConnectAsync("127.0.0.1", port);
            Assert.StartsWith($"aetherium vm cli-vm ({vm.VmId})", await new StreamReader(client.GetStream()).ReadToEndAsync());
        }

        agent.Terminate();
        var code = await agent.WaitForExitAsync(TimeSpan.FromSeconds(45));

        Assert.Equal(0, code);
        Assert.Equal(1, worker.GoingAway);
        Assert.False(Posix.IsAlive(pid), "the VM process is stopped with the agent");
        Assert.Contains($"Registered as worker {worker.Id} over websocket", agent.Output);
        Assert.DoesNotContain(worker.Token, agent.Output);
        Assert.True(File.Exists(_dir.Combine("data", "vms", vm.VmId.ToString("N"), "output.log")));
    }

    [Fact]
    public async Task Run_without_a_token_says_what_is_missing()
    {
        await using var agent = AgentProcess.Start(["run", "--controller", _controller.Url.ToString(), "--config", WriteConfig("{}")]);

        Assert.Equal(2, await agent.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("no token given: --token TOKEN, AETHERIUM_TOKEN or \"token\" in the config file", agent.Output);
    }

    [Fact]
    public void Command_line_beats_environment_beats_config_file()
    {
        var config = WriteConfig("""{"controller": "http://from-file:8080", "token": "file-token", "runtime": "simulated", "data_dir": "/tmp/from-file"}""");
        var environment = new Dictionary<string, string> { ["AETHERIUM_TOKEN"] = "env-token", ["AETHERIUM_DATA_DIR"] = "/tmp/from-env" };

        var (fromFile, _) = SettingsLoader.Resolve(new SettingsInput(null, null, null, null, null, config), _ => null);
        var (mixed, _) = SettingsLoader.Resolve(new SettingsInput(null, null, null, null, null, config), environment.GetValueOrDefault);
        var (cli, _) = SettingsLoader.Resolve(new SettingsInput("https://cli:443", "cli-token", "process", "/tmp/cli", "198.51.100.1", config), environment.GetValueOrDefault);

        Assert.Equal(new AgentSettings(new Uri("http://from-file:8080"), "file-token", "simulated", "/tmp/from-file", null), fromFile);
        Assert.Equal(new AgentSettings(new Uri("http://from-file:8080"), "env-token", "simulated", "/tmp/from-env", null), mixed);
        Assert.Equal(new AgentSettings(new Uri("https://cli:443"), "cli-token", "process", "/tmp/cli", "198.51.100.1"), cli);
        Assert.DoesNotContain("token", cli!.ToString());
    }

    [Fact]
    public void Bad_settings_are_refused_with_a_precise_reason()
    {
        string? Error(SettingsInput input) => SettingsLoader.Resolve(input, _ => null).Error;
        var none = WriteConfig("{}");

        Assert.Equal("controller must be an absolute http(s) URL, got \"localhost\"", Error(new("localhost", "t", null, null, null, none)));
        Assert.Equal("runtime must be one of process, simulated, qemu, got \"docker\"", Error(new("http://c", "t", "docker", null, null, none)));
        Assert.StartsWith("no controller given", Error(new(null, "t", null, null, null, none)));
        Assert.Equal("config file /nonexistent/agent.json does not exist", Error(new("http://c", "t", null, null, null, "/nonexistent/agent.json")));
    }

    [Fact]
    public void The_vm_user_ids_come_from_the_environment_or_the_config_file_and_never_include_the_machines_own_users()
    {
        string? Error(string range) =>
            SettingsLoader.Resolve(new("http://c", "t", null, null, null, WriteConfig($$"""{"vm_user_ids": "{{range}}"}""")), _ => null).Error;
        var config = WriteConfig("""{"controller": "http://c", "token": "t", "vm_user_ids": "300000-300999"}""");

        Assert.Null(SettingsLoader.Resolve(new(null, null, null, null, null, WriteConfig("""{"controller": "http://c", "token": "t"}""")), _ => null).Settings!.VmUserIds);
        Assert.Equal(new IdRange(300_000, 300_999), SettingsLoader.Resolve(new(null, null, null, null, null, config), _ => null).Settings!.VmUserIds);
        Assert.Equal(new IdRange(400_000, 400_009), SettingsLoader.Resolve(new(null, null, null, null, null, config),
            n => n == "AETHERIUM_VM_USER_IDS" ? "400000-400009" : null).Settings!.VmUserIds);
        Assert.Equal("VM user ids must satisfy 1000 <= FIRST <= LAST < 2147483647, got \"0-65535\"", Error("0-65535"));
        Assert.Equal("VM user ids must satisfy 1000 <= FIRST <= LAST < 2147483647, got \"300000-200000\"", Error("300000-200000"));
        Assert.Equal("VM user ids must be FIRST-LAST (e.g. 200000-265535), got \"lots\"", Error("lots"));
    }

    [Fact]
    public async Task The_vm_command_serves_its_banner_and_exits_0_on_sigterm()
    {
        var port = FreePort();
        await using var vm = AgentProcess.Start(["vm", "--port", port.ToString(), "--name", "standalone"]);
        var banner = await Eventually.GetAsync(async () =>
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync("127.0.0.1", port);
                return await new StreamReader(client.GetStream()).ReadToEndAsync();
            }
            catch (SocketException)
            {
                return null;
            }
        }, b => b is not null, TimeSpan.FromSeconds(30), "listening");

        Assert.Equal(VmWorkload.Banner("standalone", null, Facts.HostFacts.Hostname(), port), banner);
        vm.Terminate();
        Assert.Equal(0, await vm.WaitForExitAsync(TimeSpan.FromSeconds(10)));
    }

    private string WriteConfig(string json)
    {
        var path = _dir.Combine($"config-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json);
        return path;
    }

    public async Task DisposeAsync()
    {
        await _controller.DisposeAsync();
        _dir.Dispose();
    }
}
