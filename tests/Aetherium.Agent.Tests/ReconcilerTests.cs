using Aetherium.Agent.Reconcile;
using Aetherium.Agent.Runtime;
using Aetherium.Agent.Runtime.Process;
using Aetherium.Contracts.Agent;
using Aetherium.Testing;
using Xunit.Abstractions;
using static Aetherium.Agent.Tests.Vms;

namespace Aetherium.Agent.Tests;

/// <summary>The reconciler driving real drivers: what runs follows the newest desired state.</summary>
public sealed class ReconcilerTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly TempDir _data = new();
    private readonly CancellationTokenSource _stop = new();
    private ProcessDriver? _process;

    private Reconciler Start(IRuntimeDriver driver)
    {
        var reconciler = new Reconciler(driver, TestLoggerProvider.Factory(output).CreateLogger("reconciler"));
        _ = reconciler.RunAsync(_stop.Token);
        return reconciler;
    }

    private static Task<IReadOnlyList<VmActualState>> ReportAsync(Reconciler reconciler, Func<IReadOnlyList<VmActualState>, bool> until, string because) =>
        Eventually.GetAsync(() => Task.FromResult(reconciler.Report()), until, TimeSpan.FromSeconds(20), because);

    [Fact]
    public async Task Adds_removes_and_powers_vms_to_match_the_desired_state()
    {
        var reconciler = Start(new SimulatedDriver());
        var a = Vm("a");
        var b = Vm("b", power: PowerStates.Stopped);

        reconciler.Offer(Desired(1, a, b));
        var report = await ReportAsync(reconciler, r => r.Count == 2 && r.All(v => v.DesiredVersion == 1), "version 1 applied");
        Assert.Equal(AgentVmStates.Running, report.Single(v => v.VmId == a.VmId).State);
        Assert.Equal(AgentVmStates.Stopped, report.Single(v => v.VmId == b.VmId).State);

        var c = Vm("c", generation: 7);
        reconciler.Offer(Desired(2, b with { PowerState = PowerStates.Running }, c));
        report = await ReportAsync(reconciler, r => r.All(v => v.DesiredVersion == 2) && r.Count == 2, "version 2 applied");
        Assert.DoesNotContain(report, v => v.VmId == a.VmId);
        Assert.All(report, v => Assert.Equal(AgentVmStates.Running, v.State));
        Assert.Equal(7, report.Single(v => v.VmId == c.VmId).Generation);
        Assert.Equal(2, reconciler.AppliedVersion);
    }

    [Fact]
    public async Task An_older_desired_state_is_ignored_unless_it_comes_with_registration()
    {
        var reconciler = Start(new SimulatedDriver());
        var newer = Vm("newer");
        reconciler.Offer(Desired(5, newer));
        await ReportAsync(reconciler, r => r.Count == 1, "version 5 applied");

        Assert.False(reconciler.Offer(Desired(4)));
        await Task.Delay(300);
        Assert.Single(reconciler.Report());

        // After the controller's data went back (a restore), REGISTER_ACK's state still wins.
        Assert.True(reconciler.Offer(Desired(1), authoritative: true));
        await ReportAsync(reconciler, r => r.Count == 0, "the authoritative state applied");
        Assert.Equal(1, reconciler.AppliedVersion);
    }

    [Fact]
    public async Task Real_processes_follow_add_power_change_restart_generation_and_remove()
    {
        _process = new ProcessDriver(new ProcessDriverOptions { DataDirectory = _data.Path, SelfCommand = AgentBinary.Command, StopGrace = TimeSpan.FromSeconds(2) },
            TestLoggerProvider.Factory(output).CreateLogger("driver"));
        var reconciler = Start(_process);
        var vm = Vm("web", command: "exec sleep 600", generation: 1);

        reconciler.Offer(Desired(1, vm));
        var first = PidIn((await ReportAsync(reconciler, r => r.SingleOrDefault()?.State == AgentVmStates.Running, "added and running")).Single().Reason);
        Assert.True(Posix.IsAlive(first));

        reconciler.Offer(Desired(2, vm with { PowerState = PowerStates.Stopped }));
        await ReportAsync(reconciler, r => r.Single() is { State: AgentVmStates.Stopped, DesiredVersion: 2 }, "powered off");
        Assert.False(Posix.IsAlive(first));

        reconciler.Offer(Desired(3, vm));
        var second = PidIn((await ReportAsync(reconciler, r => r.Single() is { State: AgentVmStates.Running, DesiredVersion: 3 }, "powered on")).Single().Reason);

        reconciler.Offer(Desired(4, vm with { Generation = 2 }));
        var restarted = (await ReportAsync(reconciler, r => r.Single() is { State: AgentVmStates.Running, Generation: 2, DesiredVersion: 4 }, "restarted for generation 2")).Single();
        var third = PidIn(restarted.Reason);
        Assert.NotEqual(second, third);
        Assert.False(Posix.IsAlive(second));

        reconciler.Offer(Desired(5));
        await ReportAsync(reconciler, r => r.Count == 0, "removed");
        Assert.False(Posix.IsAlive(third));
    }

    [Fact]
    public async Task Drift_is_repaired_without_a_new_message()
    {
        var driver = new SimulatedDriver();
        var reconciler = Start(driver);
        var vm = Vm("drifting");
        reconciler.Offer(Desired(1, vm));
        await ReportAsync(reconciler, r => r.Count == 1, "running");

        // Something outside the reconciler lost the VM; no new desired state arrives.
        await driver.RemoveAsync(vm.VmId, CancellationToken.None);
        Assert.Empty(reconciler.Report());

        await ReportAsync(reconciler, r => r.SingleOrDefault()?.State == AgentVmStates.Running, "level-triggered: the periodic pass restores it");
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_process is not null) await _process.DisposeAsync();
        _data.Dispose();
    }
}
