using System.Collections.Concurrent;
using Aetherium.Contracts.Agent;

namespace Aetherium.Inventory.Telemetry;

/// <summary>The newest heartbeat figures of one worker, waiting to be written.</summary>
public readonly record struct HeartbeatSample(double Cpu, double Memory, double Disk, long UptimeSeconds, long AppliedDesiredVersion, DateTimeOffset At);

/// <summary>A VM whose reported state differs from the last one this replica saw.</summary>
public sealed record VmObservation(Guid WorkerId, VmActualState Vm, DateTimeOffset At);

public sealed record MetricsReport(Guid WorkerId, MetricsData Data, DateTimeOffset At);

/// <summary>A worker's agent reported a newer applied desired version than this replica saw before.</summary>
public sealed record AppliedVersion(Guid WorkerId, long Version, DateTimeOffset At);

/// <summary>
/// Heartbeats are absorbed in memory and written in batches (DESIGN §9): only the newest sample of each
/// worker is kept, so memory is one entry per worker however fast it reports, and a write that fails
/// puts its samples back unless a newer one arrived meanwhile — the last state of a worker is never lost.
/// VM state changes and metrics samples queue in order until the next batch.
/// </summary>
public sealed class TelemetryBuffer
{
    private readonly ConcurrentDictionary<Guid, HeartbeatSample> _heartbeats = new();
    // VM changes and metrics are rare next to heartbeats: a lock keeps their order simple.
    private readonly object _queues = new();
    private List<VmObservation> _observations = [];
    private List<MetricsReport> _metrics = [];
    private List<AppliedVersion> _applied = [];
    // What this replica last saw of each worker's VMs, so unchanged reports cost no write.
    private readonly ConcurrentDictionary<Guid, Dictionary<Guid, VmActualState>> _lastSeen = new();
    // The newest desired version each worker's agent said it applied, so that only growth is published.
    private readonly ConcurrentDictionary<Guid, long> _lastApplied = new();

    public int PendingHeartbeats => _heartbeats.Count;

    public void AddHeartbeat(Guid workerId, HeartbeatSample sample)
    {
        _heartbeats[workerId] = sample;
        // A worker's heartbeats come one after another from its one session: a plain check-then-set suffices
        // (and at worst publishes a version twice, which the scheduler absorbs).
        var version = sample.AppliedDesiredVersion;
        if (version <= 0 || (_lastApplied.TryGetValue(workerId, out var last) && last >= version)) return;
        _lastApplied[workerId] = version;
        lock (_queues) _applied.Add(new AppliedVersion(workerId, version, sample.At));
    }

    /// <summary>Queues every VM whose state, reason, restarts or generation changed since the last report seen here.</summary>
    public void AddVmStates(Guid workerId, IReadOnlyList<VmActualState>? vms, DateTimeOffset at)
    {
        if (vms is null || vms.Count == 0) return;
        var known = _lastSeen.GetOrAdd(workerId, _ => []);
        lock (known)
        {
            foreach (var vm in vms)
            {
                if (vm is null || vm.VmId == Guid.Empty || string.IsNullOrEmpty(vm.State)) continue;
                if (known.TryGetValue(vm.VmId, out var last) && last == vm) continue;
                known[vm.VmId] = vm;
                lock (_queues) _observations.Add(new VmObservation(workerId, vm, at));
            }
        }
    }

    public void AddMetrics(MetricsReport report)
    {
        lock (_queues) _metrics.Add(report);
    }

    /// <summary>A new agent run starts from nothing known: its first report is compared with the database instead.</summary>
    public void ForgetVms(Guid workerId)
    {
        _lastSeen.TryRemove(workerId, out _);
        _lastApplied.TryRemove(workerId, out _);
    }

    public Batch Take()
    {
        var heartbeats = new List<KeyValuePair<Guid, HeartbeatSample>>(_heartbeats.Count);
        foreach (var key in _heartbeats.Keys)
            if (_heartbeats.TryRemove(key, out var sample)) heartbeats.Add(new(key, sample));
        List<VmObservation> observations;
        List<MetricsReport> metrics;
        List<AppliedVersion> applied;
        lock (_queues)
        {
            (observations, _observations) = (_observations, []);
            (metrics, _metrics) = (_metrics, []);
            (applied, _applied) = (_applied, []);
        }
        return new Batch(heartbeats, observations, metrics, applied);
    }

    /// <summary>Puts back a batch that could not be written; newer heartbeats that arrived since win.</summary>
    public void Return(Batch batch)
    {
        foreach (var (id, sample) in batch.Heartbeats)
            _heartbeats.AddOrUpdate(id, sample, (_, current) => current.At >= sample.At ? current : sample);
        // Order matters for VM states: the failed ones go before anything queued since.
        lock (_queues)
        {
            _observations.InsertRange(0, batch.Observations);
            _metrics.InsertRange(0, batch.Metrics);
            _applied.InsertRange(0, batch.Applied);
        }
    }

    public sealed record Batch(List<KeyValuePair<Guid, HeartbeatSample>> Heartbeats, List<VmObservation> Observations, List<MetricsReport> Metrics,
        List<AppliedVersion> Applied)
    {
        public bool IsEmpty => Count == 0;

        /// <summary>Records of every kind together.</summary>
        public int Count => Heartbeats.Count + Observations.Count + Metrics.Count + Applied.Count;

        /// <summary>Two batches of about half the records each, every list keeping its order.</summary>
        public (Batch First, Batch Second) Split()
        {
            var left = Count / 2;
            var h = Math.Min(left, Heartbeats.Count);
            left -= h;
            var o = Math.Min(left, Observations.Count);
            left -= o;
            var m = Math.Min(left, Metrics.Count);
            left -= m;
            var a = Math.Min(left, Applied.Count);
            return (new Batch(Heartbeats[..h], Observations[..o], Metrics[..m], Applied[..a]),
                new Batch(Heartbeats[h..], Observations[o..], Metrics[m..], Applied[a..]));
        }

        /// <summary>One batch holding the records of <paramref name="parts"/>, in their order.</summary>
        public static Batch Concat(IEnumerable<Batch> parts)
        {
            var all = new Batch([], [], [], []);
            foreach (var p in parts)
            {
                all.Heartbeats.AddRange(p.Heartbeats);
                all.Observations.AddRange(p.Observations);
                all.Metrics.AddRange(p.Metrics);
                all.Applied.AddRange(p.Applied);
            }
            return all;
        }
    }
}
