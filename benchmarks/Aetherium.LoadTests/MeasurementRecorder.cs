using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Aetherium.LoadTests;

/// <summary>
/// Every value a service records on one of its own instruments (the Aetherium meter), kept raw so that
/// percentiles are exact rather than read from histogram buckets. Recording can be paused.
/// </summary>
public sealed class MeasurementRecorder : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<double> _values = new();

    /// <param name="instrument">The instrument's name, e.g. aetherium.lease.expiry_lag.</param>
    public MeasurementRecorder(string instrument)
    {
        _listener.InstrumentPublished = (i, l) =>
        {
            if (i.Meter.Name == ServiceDefaults.Telemetry.MeterName && i.Name == instrument) l.EnableMeasurementEvents(i);
        };
        _listener.SetMeasurementEventCallback<double>((_, value, _, _) =>
        {
            if (Recording) _values.Enqueue(value);
        });
        _listener.Start();
    }

    public bool Recording { get; set; } = true;

    public IReadOnlyCollection<double> Values => _values;

    public void Clear() => _values.Clear();

    public void Dispose() => _listener.Dispose();
}
