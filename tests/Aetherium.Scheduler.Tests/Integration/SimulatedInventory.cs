using Aetherium.Contracts;
using Aetherium.Contracts.Agent;
using Aetherium.Testing;

namespace Aetherium.Scheduler.Tests.Integration;

/// <summary>
/// Plays inventory and its agents on the bus, as they behave for the scheduler: worker snapshots with
/// growing versions (WorkerRegistered, WorkerStatusChanged), and for each worker the newest desired
/// state applied by a simulated agent that reports each VM's state as inventory would (VmObserved with
/// the applied desired version): provisioning then running (or stopped), and a last "stopped" for a VM
/// that left the set. A worker's reports can be held back to control when moves complete.
/// </summary>
public sealed class SimulatedInventory : IAsyncDisposable
{
    private readonly TestBus _bus;
    private readonly Dictionary<Guid, Worker> _workers = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _seen;
    private DateTimeOffset _clock = DateTimeOffset.UtcNow;

    private sealed class Worker(WorkerSnapshot snapshot)
    {
        public WorkerSnapshot Snapshot { get; set; } = snapshot;
        public bool AgentRuns { get; set; } = true;
        public bool Hold { get; set; }
        public long Applied { get; set; }
        public Dictionary<Guid, (string State, long Generation)> Vms { get; } = new();
        public List<VmObserved> Held { get; } = [];
    }

    public SimulatedInventory(TestBus bus)
    {
        _bus = bus;
        _loop = Task.Run(RunAsync);
    }

    public async Task<Guid> AddWorkerAsync(string zone, int cpu = 8, long memoryMb = 16384, long diskGb = 200, int gpus = 0, int maxVms = 100,
        Dictionary<string, string>? labels = null, string[]? images = null, string status = WorkerStatus.Active, string? name = null,
        string? address = null)
    {
        var id = Guid.NewGuid();
        var snapshot = new WorkerSnapshot(id, Guid.NewGuid(), name ?? $"worker-{id.ToString()[..8]}", $"host-{id.ToString()[..8]}",
            address ?? $"10.0.{Random.Shared.Next(256)}.{Random.Shared.Next(1, 255)}", zone, status, labels ?? new Dictionary<string, string>(),
            ["simulated"], cpu, memoryMb, diskGb,
            Enumerable.Range(0, gpus).Select(i => new GpuInfo($"gpu{i}", "NVIDIA H100", 81920, 81920, 0, 40)).ToList(),
            maxVms, 1, Images: images);
        lock (_workers) _workers[id] = new Worker(snapshot);
        await _bus.PublishAsync(new WorkerRegistered(snapshot, DateTimeOffset.UtcNow));
        return id;
    }

    public WorkerSnapshot Snapshot(Guid id)
    {
        lock (_workers) return _workers[id].Snapshot;
    }

    /// <summary>What inventory publishes when a worker's status changes (offline after the timeout, drain, activate…).</summary>
    public async Task SetStatusAsync(Guid id, string status, DateTimeOffset? drainDeadline = null, int drainMaxParallel = 1)
    {
        WorkerSnapshot old, next;
        lock (_workers)
        {
            var w = _workers[id];
            old = w.Snapshot;
            next = old with { Status = status, Version = old.Version + 1, DrainDeadline = drainDeadline, DrainMaxParallel = drainMaxParallel };
            w.Snapshot = next;
            // An offline worker's agent is gone: it reports nothing until it comes back.
            w.AgentRuns = status != WorkerStatus.Offline && status != WorkerStatus.Deleted;
        }
        await _bus.PublishAsync(new WorkerStatusChanged(next, old.Status, status, null, DateTimeOffset.UtcNow));
    }

    /// <summary>Holds the worker agent's reports back (VMs stay scheduled as far as the scheduler knows).</summary>
    public void Hold(Guid id)
    {
        lock (_workers) _workers[id].Hold = true;
    }

    /// <summary>Sends the oldest report held back, and keeps holding the rest.</summary>
    public async Task ReleaseOneAsync(Guid id)
    {
        VmObserved next;
        lock (_workers)
        {
            var held = _workers[id].Held;
            next = held[0];
            held.RemoveAt(0);
        }
        await _bus.PublishAsync(next);
    }

    /// <summary>Sends what was held back and reports normally again.</summary>
    public Task ReleaseAsync(Guid id) => SendHeldAsync(id, keepHolding: false);

    /// <summary>Sends what was held back, and holds back what comes next.</summary>
    public Task FlushAsync(Guid id) => SendHeldAsync(id, keepHolding: true);

    private async Task SendHeldAsync(Guid id, bool keepHolding)
    {
        List<VmObserved> held;
        lock (_workers)
        {
            var w = _workers[id];
            w.Hold = keepHolding;
            held = [.. w.Held];
            w.Held.Clear();
        }
        foreach (var o in held) await _bus.PublishAsync(o);
    }

    /// <summary>A report the agent makes on its own, e.g. a VM process that died.</summary>
    public async Task ReportAsync(Guid workerId, Guid vmId, string state, string? reason = null)
    {
        long applied;
        lock (_workers)
        {
            var w = _workers[workerId];
            applied = w.Applied;
            if (w.Vms.TryGetValue(vmId, out var vm)) w.Vms[vmId] = (state, vm.Generation);
        }
        await _bus.PublishAsync(new VmObserved(vmId, workerId, state, reason, applied, Tick()));
    }

    /// <summary>The VMs the worker's agent runs now (from the newest desired state it applied).</summary>
    public IReadOnlyDictionary<Guid, string> Running(Guid workerId)
    {
        lock (_workers) return _workers[workerId].Vms.ToDictionary(kv => kv.Key, kv => kv.Value.State);
    }

    private async Task RunAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                var desired = _bus.Received<WorkerDesiredStateChanged>();
                for (; _seen < desired.Count; _seen++)
                {
                    foreach (var o in Apply(desired[_seen])) await _bus.PublishAsync(o);
                }
                await Task.Delay(50, _stop.Token);
            }
            catch (OperationCanceledException) { return; }
        }
    }

    /// <summary>What the agent reports after reconciling to a desired state (only the newest counts, as in inventory).</summary>
    private List<VmObserved> Apply(WorkerDesiredStateChanged d)
    {
        var reports = new List<VmObserved>();
        lock (_workers)
        {
            if (!_workers.TryGetValue(d.WorkerId, out var w) || !w.AgentRuns || d.Version <= w.Applied) return reports;
            w.Applied = d.Version;
            foreach (var vm in d.Vms)
            {
                var target = vm.PowerState == PowerStates.Running ? AgentVmStates.Running : AgentVmStates.Stopped;
                var known = w.Vms.TryGetValue(vm.VmId, out var current);
                if (!known || (current.Generation != vm.Generation && target == AgentVmStates.Running))
                {
                    reports.Add(new VmObserved(vm.VmId, d.WorkerId, AgentVmStates.Provisioning, null, d.Version, Tick()));
                    reports.Add(new VmObserved(vm.VmId, d.WorkerId, target, null, d.Version, Tick()));
                }
                else if (current.State != target)
                {
                    reports.Add(new VmObserved(vm.VmId, d.WorkerId, target, null, d.Version, Tick()));
                }
                w.Vms[vm.VmId] = (target, vm.Generation);
            }
            foreach (var gone in w.Vms.Keys.Except(d.Vms.Select(v => v.VmId)).ToList())
            {
                reports.Add(new VmObserved(gone, d.WorkerId, AgentVmStates.Stopped, "removed", d.Version, Tick()));
                w.Vms.Remove(gone);
            }
            if (w.Hold)
            {
                w.Held.AddRange(reports);
                return [];
            }
        }
        return reports;
    }

    /// <summary>
    /// Observation times that grow by at least a millisecond, as inventory stamps reports of different
    /// heartbeats (PostgreSQL keeps microseconds; closer times could not be told apart once stored).
    /// </summary>
    private DateTimeOffset Tick()
    {
        lock (_workers)
        {
            var now = DateTimeOffset.UtcNow;
            _clock = now > _clock.AddMilliseconds(1) ? now : _clock.AddMilliseconds(1);
            return _clock;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try { await _loop; } catch (OperationCanceledException) { }
    }
}
