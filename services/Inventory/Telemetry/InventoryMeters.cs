using System.Diagnostics.Metrics;
using ServiceTelemetry = Aetherium.ServiceDefaults.Telemetry;

namespace Aetherium.Inventory.Telemetry;

/// <summary>
/// The hot path's figures on the Aetherium meter: heartbeats received (a rate gives heartbeats/s),
/// how long handling one took, live agent sessions, and the batched writes behind them.
/// </summary>
public sealed class InventoryMeters
{
    private readonly Counter<long> _heartbeats = ServiceTelemetry.Meter.CreateCounter<long>("aetherium.inventory.heartbeats", "{heartbeat}", "Heartbeats received from agents");
    private readonly Histogram<double> _heartbeatDuration = ServiceTelemetry.Meter.CreateHistogram<double>("aetherium.inventory.heartbeat.duration", "ms",
        "Time to handle one heartbeat, from its last byte read to its state held in memory",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100] });
    private readonly UpDownCounter<long> _sessions = ServiceTelemetry.Meter.CreateUpDownCounter<long>("aetherium.inventory.agent.sessions", "{session}", "Agent WebSocket sessions held by this replica");
    private readonly Histogram<double> _flushDuration = ServiceTelemetry.Meter.CreateHistogram<double>("aetherium.inventory.telemetry.flush.duration", "ms", "Time to write one batch of telemetry");
    private readonly Counter<long> _flushedWorkers = ServiceTelemetry.Meter.CreateCounter<long>("aetherium.inventory.telemetry.flushed", "{worker}", "Worker heartbeat states written to the database");
    private long _heartbeatTotal;
    private long _sessionCount;

    public long HeartbeatsReceived => Interlocked.Read(ref _heartbeatTotal);
    public long Sessions => Interlocked.Read(ref _sessionCount);

    public void Heartbeat(double elapsedMs)
    {
        Interlocked.Increment(ref _heartbeatTotal);
        _heartbeats.Add(1);
        _heartbeatDuration.Record(elapsedMs);
    }

    public void SessionOpened()
    {
        Interlocked.Increment(ref _sessionCount);
        _sessions.Add(1);
    }

    public void SessionClosed()
    {
        Interlocked.Decrement(ref _sessionCount);
        _sessions.Add(-1);
    }

    public void Flushed(int workers, double elapsedMs)
    {
        _flushedWorkers.Add(workers);
        _flushDuration.Record(elapsedMs);
    }
}
