using Aetherium.Contracts.Text;
using Aetherium.Agent.Connection;
using Aetherium.Agent.Runtime;
using Aetherium.Contracts.Agent;
using Microsoft.Extensions.Logging;

namespace Aetherium.Agent.Reconcile;

/// <summary>
/// Keeps the newest desired state and makes the driver match it: on every new desired state and
/// again every few seconds (level-triggered), so no lost message and no driver hiccup leaves a VM
/// running or missing for long. Lives across reconnects; the connection only feeds it.
/// </summary>
public sealed class Reconciler(IRuntimeDriver driver, ILogger logger)
{
    private static readonly TimeSpan Resync = TimeSpan.FromSeconds(5);

    private readonly Dictionary<Guid, DesiredVmData> _applied = [];
    private readonly Signal _wake = new();
    private readonly SemaphoreSlim _pass = new(1, 1);
    private DesiredStateData? _latest;
    private long _appliedVersion;

    public IRuntimeDriver Driver => driver;

    /// <summary>The version of the newest desired state fully applied (heartbeats carry it).</summary>
    public long AppliedVersion => Interlocked.Read(ref _appliedVersion);

    private DesiredStateData? Latest => Volatile.Read(ref _latest);

    /// <summary>Raised after a pass that applied a newer desired version.</summary>
    public event Action? Applied;

    /// <summary>
    /// Takes a desired state unless it is older than the one held (messages can cross). The one in
    /// REGISTER_ACK is authoritative: the controller's state at (re)registration wins even when its
    /// version went back, e.g. after its data was restored.
    /// </summary>
    public bool Offer(DesiredStateData desired, bool authoritative = false)
    {
        if (desired.Vms is null) desired = desired with { Vms = [] }; // "vms": null from a controller = no VM
        lock (_applied)
        {
            if (!authoritative && _latest is not null && desired.Version < _latest.Version)
            {
                logger.LogDebug("Ignoring desired state version {Version}: version {Held} is newer", desired.Version, _latest.Version);
                return false;
            }
            _latest = desired;
        }
        _wake.Set();
        return true;
    }

    public async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await _wake.WaitAsync(Resync, ct);
                await ReconcileOnceAsync(ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogError(e, "Reconciliation pass failed; retrying in {Seconds} s", Resync.TotalSeconds);
            }
        }
    }

    /// <summary>One pass: plan against the newest desired state and carry the actions out, VMs in parallel.</summary>
    public async Task ReconcileOnceAsync(CancellationToken ct)
    {
        await _pass.WaitAsync(ct);
        try
        {
            var desired = Latest;
            if (desired is null) return;
            IReadOnlyList<ReconcileAction> actions;
            lock (_applied)
                actions = ReconcilePlan.Compute(desired, _applied, driver.Snapshot().Select(v => v.VmId).ToHashSet());
            await Task.WhenAll(actions.Select(a => ApplyAsync(a, desired.Version, ct)));
            if (Interlocked.Exchange(ref _appliedVersion, desired.Version) != desired.Version) Applied?.Invoke();
        }
        finally
        {
            _pass.Release();
        }
    }

    private async Task ApplyAsync(ReconcileAction action, long version, CancellationToken ct)
    {
        try
        {
            switch (action.Kind)
            {
                case ReconcileActionKind.Start:
                    logger.LogInformation("VM {VmId} ({Name}): starting (desired version {Version})", action.VmId, action.Vm!.Name, version);
                    await driver.StartAsync(action.Vm, ct);
                    break;
                case ReconcileActionKind.Restart:
                    logger.LogInformation("VM {VmId} ({Name}): restarting for generation {Generation}", action.VmId, action.Vm!.Name, action.Vm.Generation);
                    await driver.StopAsync(action.Vm, ct);
                    await driver.StartAsync(action.Vm, ct);
                    break;
                case ReconcileActionKind.Stop:
                    logger.LogInformation("VM {VmId} ({Name}): power state stopped", action.VmId, action.Vm!.Name);
                    await driver.StopAsync(action.Vm, ct);
                    break;
                case ReconcileActionKind.Remove:
                    logger.LogInformation("VM {VmId}: not in the desired set, removing", action.VmId);
                    await driver.RemoveAsync(action.VmId, ct);
                    break;
            }
            lock (_applied)
            {
                if (action.Kind == ReconcileActionKind.Remove) _applied.Remove(action.VmId);
                else _applied[action.VmId] = action.Vm!;
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The driver reports the VM as failed; the next pass tries again.
            logger.LogError(e, "VM {VmId}: {Action} failed", action.VmId, action.Kind);
        }
    }

    /// <summary>
    /// Every VM the driver knows, as TELEMETRY_HEARTBEAT reports it. A reason comes from the machine (a
    /// process's last words): control characters are blanked and it is cut to what the controller keeps,
    /// so one VM's output can neither get the heartbeat refused nor make it too large.
    /// </summary>
    public IReadOnlyList<VmActualState> Report()
    {
        var version = AppliedVersion;
        return driver.Snapshot()
            .Select(v => new VmActualState(v.VmId, v.State, v.Reason is null ? null : TextRules.Clean(v.Reason, AgentLimits.VmReasonLength),
                version, v.Restarts, v.Generation))
            .ToList();
    }

    /// <summary>On shutdown: every VM stopped cleanly, none left behind.</summary>
    public async Task StopAllAsync(CancellationToken ct)
    {
        await _pass.WaitAsync(ct);
        try
        {
            List<DesiredVmData> specs;
            lock (_applied) specs = [.. _applied.Values];
            await Task.WhenAll(driver.Snapshot()
                .Where(v => v.State is AgentVmStates.Running or AgentVmStates.Provisioning or AgentVmStates.Failed)
                .Select(v => specs.FirstOrDefault(s => s.VmId == v.VmId) is { } spec
                    ? driver.StopAsync(spec with { PowerState = PowerStates.Stopped }, ct)
                    : driver.RemoveAsync(v.VmId, ct)));
        }
        finally
        {
            _pass.Release();
        }
    }
}
