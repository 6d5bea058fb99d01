using Aetherium.Agent.Connection;
using Aetherium.Agent.Facts;
using Aetherium.Agent.Runtime;
using Aetherium.Agent.Runtime.Process;
using Aetherium.Contracts.Agent;
using Aetherium.Testing;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;
using static Aetherium.Agent.Tests.Vms;

namespace Aetherium.Agent.Tests;

/// <summary>The agent against a controller double speaking DESIGN §6 from the server side.</summary>
public sealed class ProtocolTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly TempDir _data = new();
    private readonly List<(CancellationTokenSource Stop, Task Running, ControllerClient Client, IRuntimeDriver Driver)> _agents = [];
    private readonly TestLoggerProvider _logs = new(output);
    private ControllerDouble _controller = null!;

    public async Task InitializeAsync() => _controller = await ControllerDouble.StartAsync();

    private ProcessDriver ProcessDriver() => new(new ProcessDriverOptions { DataDirectory = _data.Path, SelfCommand = AgentBinary.Command, StopGrace = TimeSpan.FromSeconds(2) },
        _logs.CreateLogger("driver"));

    private (NodeAgent Agent, CancellationTokenSource Stop, Task Running) Start(ControllerDouble.Worker worker, IRuntimeDriver? driver = null)
    {
        var client = new ControllerClient(_controller.Url);
        driver ??= new SimulatedDriver();
        var agent = new NodeAgent(new AgentOptions { Token = worker.Token }, new HostFacts(_data.Path), driver, client, _logs.CreateLogger("agent"));
        var stop = new CancellationTokenSource();
        var running = agent.RunAsync(stop.Token);
        _agents.Add((stop, running, client, driver));
        return (agent, stop, running);
    }

    private static Task<ControllerDouble.ReceivedHeartbeat> HeartbeatAsync(ControllerDouble.Worker worker, Func<HeartbeatData, bool> until, string because) =>
        Eventually.GetAsync(() => Task.FromResult(worker.LastHeartbeat), h => h is not null && until(h.Data), TimeSpan.FromSeconds(20), because)!;

    [Fact]
    public async Task Registers_with_the_machines_real_facts_in_snake_case()
    {
        var worker = _controller.AddWorker();
        var (agent, _, _) = Start(worker, ProcessDriver());

        var (data, transport, raw) = await Eventually.GetAsync(() => Task.FromResult(worker.Registrations.FirstOrDefault()), r => r.Data is not null, because: "NODE_REGISTER");

        Assert.Equal("websocket", transport);
        Assert.Equal(HostFacts.Hostname(), data.Hostname);
        Assert.Equal(HostFacts.PrimaryAddress(), data.IpAddress);
        Assert.Equal(Environment.ProcessorCount, data.CpuCores);
        Assert.Equal(ProcMemTotalMb(), data.MemoryMb);
        Assert.True(data.DiskGb > 0);
        Assert.Equal(["process", "simulated"], data.Runtimes);
        Assert.Equal("process", data.Runtime);
        Assert.Equal("0.1.0", data.AgentVersion);
        Assert.Contains("Linux", data.Os);
        Assert.True(data.UptimeSeconds > 0);
        foreach (var field in new[] { "\"hostname\":", "\"ip_address\":", "\"cpu_cores\":", "\"cpu_model\":", "\"memory_mb\":", "\"disk_gb\":", "\"gpus\":[]",
                     "\"agent_version\":", "\"runtimes\":[\"process\",\"simulated\"]", "\"uptime_seconds\":", "\"runtime\":\"process\"", "\"message_id\":", "\"timestamp\":" })
            Assert.Contains(field, raw);
        await Eventually.TrueAsync(() => Task.FromResult(agent.Status == AgentStatus.Registered && agent.WorkerId == worker.Id), because: "REGISTER_ACK taken");
    }

    [Fact]
    public async Task Heartbeats_report_the_real_state_of_every_vm_as_desired_states_arrive()
    {
        var worker = _controller.AddWorker();
        var vm = Vm("web", command: "exec sleep 600");
        worker.Desired = Desired(1, vm);
        Start(worker, ProcessDriver());

        var running = await HeartbeatAsync(worker, h => h.Vms.SingleOrDefault() is { State: AgentVmStates.Running, DesiredVersion: 1 }, "REGISTER_ACK's VM runs");
        var pid = PidIn(running.Data.Vms.Single().Reason);
        Assert.True(Posix.IsAlive(pid));
        Assert.Equal(1, running.Data.DesiredVersion);
        Assert.InRange(running.Data.CpuUsagePercent, 0, 100);
        Assert.InRange(running.Data.MemoryUsagePercent, 0.1, 100);
        Assert.True(running.Data.UptimeSeconds > 0);

        await worker.PushAsync(Desired(2, vm with { PowerState = PowerStates.Stopped }));
        await HeartbeatAsync(worker, h => h.Vms.SingleOrDefault() is { State: AgentVmStates.Stopped, DesiredVersion: 2 }, "DESIRED_STATE: powered off");
        Assert.False(Posix.IsAlive(pid));

        await worker.PushAsync(Desired(3));
        var empty = await HeartbeatAsync(worker, h => h.DesiredVersion == 3, "DESIRED_STATE: removed");
        Assert.Empty(empty.Data.Vms);
    }

    [Fact]
    public async Task Heartbeat_and_metrics_intervals_come_from_register_ack()
    {
        _controller.HeartbeatIntervalMs = 250;
        _controller.MetricsIntervalMs = 700;
        var worker = _controller.AddWorker();
        Start(worker);
        await Eventually.TrueAsync(() => Task.FromResult(worker.HeartbeatCount > 0), because: "beating");

        var (beats, metrics) = (worker.HeartbeatCount, worker.Metrics.Count);
        await Task.Delay(TimeSpan.FromSeconds(3.5));
        var (beatsIn, metricsIn) = (worker.HeartbeatCount - beats, worker.Metrics.Count - metrics);

        output.WriteLine($"in 3.5 s: {beatsIn} heartbeats, {metricsIn} metrics");
        // The agent's own defaults are 10 s and 60 s: these counts are only reachable through REGISTER_ACK.
        Assert.InRange(beatsIn, 8, 16);
        Assert.InRange(metricsIn, 3, 6);
        var gaps = worker.Heartbeats.Zip(worker.Heartbeats.Skip(1), (a, b) => (b.At - a.At).TotalMilliseconds).Order().ToList();
        Assert.InRange(gaps[gaps.Count / 2], 200, 400);
        var last = worker.Metrics[^1];
        Assert.Equal(Environment.ProcessorCount, last.Cpu.Cores);
        Assert.Equal(ProcMemTotalMb(), last.Memory.TotalMb);
    }

    [Fact]
    public async Task A_register_ack_without_a_desired_set_leaves_nothing_running()
    {
        var worker = _controller.AddWorker();
        worker.Desired = null!; // serialised as absent: "desired" left out of REGISTER_ACK
        var driver = new SimulatedDriver();
        await driver.StartAsync(Vm("left-over"), CancellationToken.None);
        Start(worker, driver);

        var beat = await HeartbeatAsync(worker, h => h.Vms.Count == 0, "the stale VM is removed");
        Assert.Equal(0, beat.Data.DesiredVersion);
        Assert.Empty(driver.Snapshot());
    }

    [Fact]
    public async Task Reconnects_after_the_controller_drops_the_connection()
    {
        var worker = _controller.AddWorker();
        var (agent, _, _) = Start(worker);
        await Eventually.TrueAsync(() => Task.FromResult(worker.Live is not null && worker.HeartbeatCount > 0), because: "first session");

        worker.Drop();

        await Eventually.TrueAsync(() => Task.FromResult(worker.Registrations.Count == 2), TimeSpan.FromSeconds(10), "registered again after backoff");
        var beats = worker.HeartbeatCount;
        await Eventually.TrueAsync(() => Task.FromResult(worker.HeartbeatCount > beats), because: "heartbeats on the new connection");
        Assert.Equal(2, worker.Connections);
        Assert.Equal(2, agent.Registrations);
    }

    [Theory]
    [InlineData(404)]
    [InlineData(426)]
    [InlineData(400)] // a proxy that strips the Upgrade header
    public async Task Falls_back_to_http_when_the_websocket_upgrade_is_refused(int status)
    {
        _controller.RefuseWebSocketsWith = status;
        var worker = _controller.AddWorker();
        var vm = Vm("fallback");
        worker.Desired = Desired(1, vm);
        var (agent, stop, running) = Start(worker);

        var registration = await Eventually.GetAsync(() => Task.FromResult(worker.Registrations.FirstOrDefault()), r => r.Data is not null, because: "registered over HTTP");
        Assert.Equal("http", registration.Transport);
        var beat = await HeartbeatAsync(worker, h => h.Vms.SingleOrDefault()?.State == AgentVmStates.Running, "REGISTER_ACK's VM runs");
        Assert.Equal("http", beat.Transport);
        Assert.Equal("http", agent.Transport);

        // No pushes over HTTP: the heartbeat answers carry the desired state.
        worker.Desired = Desired(2, vm with { PowerState = PowerStates.Stopped });
        await HeartbeatAsync(worker, h => h.DesiredVersion == 2 && h.Vms.Single().State == AgentVmStates.Stopped, "desired state from a heartbeat answer");
        await Eventually.TrueAsync(() => Task.FromResult(worker.Metrics.Count > 0), because: "metrics over HTTP");

        await stop.CancelAsync();
        await running;
        Assert.Equal(1, worker.GoingAway);
    }

    [Fact]
    public async Task Says_node_going_away_on_shutdown_and_stops_its_vms()
    {
        var worker = _controller.AddWorker();
        worker.Desired = Desired(1, Vm("leaving", command: "exec sleep 600"));
        var (_, stop, running) = Start(worker, ProcessDriver());
        var pid = PidIn((await HeartbeatAsync(worker, h => h.Vms.SingleOrDefault()?.State == AgentVmStates.Running, "running")).Data.Vms.Single().Reason);

        await stop.CancelAsync();
        await running.WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(1, worker.GoingAway);
        Assert.False(Posix.IsAlive(pid));
        await Eventually.TrueAsync(() => Task.FromResult(worker.Live is null), because: "the agent closed the session");
    }

    [Fact]
    public async Task A_refused_token_is_logged_and_retried_only_at_the_longest_backoff()
    {
        _controller.RejectWith = AckErrorCodes.TokenRevoked;
        var worker = _controller.AddWorker();
        var (agent, _, _) = Start(worker);

        await Eventually.TrueAsync(() => Task.FromResult(agent.Status == AgentStatus.Rejected), because: "CONNECTION_ACK error");
        await Task.Delay(TimeSpan.FromSeconds(3));

        Assert.Equal(1, _controller.ConnectAttempts); // no hot loop: the next try is 45–60 s away
        Assert.Equal(AckErrorCodes.TokenRevoked, agent.LastRefusal);
        Assert.Contains(_logs.Lines, l => l.Contains("TOKEN_REVOKED") && l.Contains("Retrying every"));
        Assert.DoesNotContain(_logs.Lines, l => l.Contains(worker.Token));
    }

    [Fact]
    public async Task An_unknown_worker_refused_over_http_is_treated_like_a_refused_token()
    {
        _controller.RefuseWebSocketsWith = 404;
        _controller.RejectWith = AckErrorCodes.WorkerNotFound;
        var worker = _controller.AddWorker();
        var (agent, _, _) = Start(worker);

        await Eventually.TrueAsync(() => Task.FromResult(agent.Status == AgentStatus.Rejected), because: "ProblemDetails code WORKER_NOT_FOUND");
        Assert.Equal(AckErrorCodes.WorkerNotFound, agent.LastRefusal);
        Assert.Empty(worker.Registrations);
    }

    private static long ProcMemTotalMb() =>
        long.Parse(File.ReadAllLines("/proc/meminfo")[0].Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024;

    public async Task DisposeAsync()
    {
        foreach (var (stop, running, client, driver) in _agents)
        {
            await stop.CancelAsync();
            await running.WaitAsync(TimeSpan.FromSeconds(30));
            await driver.DisposeAsync();
            client.Dispose();
        }
        await _controller.DisposeAsync();
        _data.Dispose();
    }
}
