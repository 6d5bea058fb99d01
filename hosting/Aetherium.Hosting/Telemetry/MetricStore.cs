namespace Aetherium.Hosting.Telemetry;

public enum MetricKind { Gauge, Sum, Histogram }

/// <summary>An instrument as one service reports it.</summary>
public sealed record InstrumentInfo(string Service, string Name, string Unit, string Description, MetricKind Kind, bool IsMonotonic, string Scope, int SeriesCount);

/// <summary>One point: a sum's or gauge's value, or a histogram's count, sum and bucket counts.</summary>
public readonly record struct MetricPoint(long TimeUnixNano, long StartUnixNano, double Value, ulong Count, ulong[]? Buckets);

/// <summary>A chart of one instrument over time, its series added up: a rate per second for monotonic sums and
/// histograms (with latency percentiles for the latter), the value for gauges and up-down sums.</summary>
public sealed record MetricChart(string Name, string Unit, MetricKind Kind, bool IsMonotonic, double StepSeconds, IReadOnlyList<ChartPoint> Points);

public sealed record ChartPoint(DateTimeOffset Time, double? Value, double? Rate, double? P50, double? P90, double? P99);

/// <summary>
/// The metrics received: per service and instrument, one series per attribute set, each a ring of points.
/// The number of series is bounded too: the least recently updated one makes room for a new one.
/// </summary>
public sealed class MetricStore(int maxSeries, int maxPointsPerSeries)
{
    private readonly Dictionary<(string Service, string Name), Instrument> _instruments = [];
    // Least recently updated first: an update moves a series to the end, a new series past the limit evicts the first.
    private readonly LinkedList<Series> _byUpdate = new();
    private readonly object _gate = new();
    private int _seriesCount;

    public int SeriesCount { get { lock (_gate) return _seriesCount; } }
    public int PointCount { get { lock (_gate) return _instruments.Values.Sum(i => i.Series.Values.Sum(s => s.Points.Count)); } }
    public int MaxSeries => maxSeries;
    public int MaxPointsPerSeries => maxPointsPerSeries;

    private sealed class Instrument(string service, string name)
    {
        public string Service { get; } = service;
        public string Name { get; } = name;
        public string Unit { get; set; } = "";
        public string Description { get; set; } = "";
        public string Scope { get; set; } = "";
        public MetricKind Kind { get; set; }
        public bool IsMonotonic { get; set; }
        public bool Cumulative { get; set; }
        public Dictionary<string, Series> Series { get; } = new(StringComparer.Ordinal);
    }

    private sealed class Series
    {
        public Series(Instrument instrument, string key, Attribute[] attributes, int capacity)
        {
            (Instrument, Key, Attributes, Points) = (instrument, key, attributes, new Ring<MetricPoint>(capacity));
            Node = new LinkedListNode<Series>(this);
        }

        public Instrument Instrument { get; }
        public string Key { get; }
        public Attribute[] Attributes { get; }
        public double[]? Bounds { get; set; }
        public Ring<MetricPoint> Points { get; }
        public LinkedListNode<Series> Node { get; }
    }

    internal void Add(TelemetrySource source, string name, string unit, string description, string scope, MetricKind kind,
        bool monotonic, bool cumulative, Attribute[] attributes, MetricPoint point, double[]? bounds = null)
    {
        lock (_gate)
        {
            if (!_instruments.TryGetValue((source.Service, name), out var instrument))
                _instruments[(source.Service, name)] = instrument = new Instrument(source.Service, name);
            if (instrument.Kind != kind || instrument.Cumulative != cumulative)
            {
                // The same name reported differently (a restart with other settings): start the instrument afresh.
                _seriesCount -= instrument.Series.Count;
                foreach (var old in instrument.Series.Values) _byUpdate.Remove(old.Node);
                instrument.Series.Clear();
            }
            (instrument.Unit, instrument.Description, instrument.Scope, instrument.Kind, instrument.IsMonotonic, instrument.Cumulative) =
                (unit, description, scope, kind, monotonic, cumulative);
            // Replicas report the same attributes: keep their series apart.
            var key = source.Instance + "|" + string.Join('\u001f', attributes.Select(a => a.Key + "=" + a.Value));
            if (!instrument.Series.TryGetValue(key, out var series))
            {
                if (_seriesCount >= maxSeries) EvictLeastRecentlyUpdated(keep: instrument);
                instrument.Series[key] = series = new Series(instrument, key, attributes, maxPointsPerSeries);
                _seriesCount++;
                _byUpdate.AddLast(series.Node);
            }
            if (bounds is not null && (series.Bounds is null || !series.Bounds.AsSpan().SequenceEqual(bounds)))
            {
                series.Points.Clear(); // other buckets: the old points cannot be compared with the new
                series.Bounds = bounds;
            }
            series.Points.Add(point, out _);
            _byUpdate.Remove(series.Node);
            _byUpdate.AddLast(series.Node);
        }
    }

    private void EvictLeastRecentlyUpdated(Instrument keep)
    {
        if (_byUpdate.First?.Value is not { } oldest) return;
        _byUpdate.RemoveFirst();
        oldest.Instrument.Series.Remove(oldest.Key);
        _seriesCount--;
        // An instrument with no series left goes too, unless a series is being added to it right now.
        if (oldest.Instrument.Series.Count == 0 && oldest.Instrument != keep) _instruments.Remove((oldest.Instrument.Service, oldest.Instrument.Name));
    }

    public IReadOnlyList<InstrumentInfo> Instruments(string? service = null)
    {
        lock (_gate)
            return _instruments.Values
                .Where(i => service is null || i.Service == service)
                .OrderBy(i => i.Name, StringComparer.Ordinal).ThenBy(i => i.Service, StringComparer.Ordinal)
                .Select(i => new InstrumentInfo(i.Service, i.Name, i.Unit, i.Description, i.Kind, i.IsMonotonic, i.Scope, i.Series.Count))
                .ToList();
    }

    /// <summary>The attribute sets of an instrument's series and their latest points (the raw data, for tests and detail views).</summary>
    public IReadOnlyList<(Attribute[] Attributes, MetricPoint Latest)> Latest(string name, string? service = null)
    {
        lock (_gate)
            return _instruments.Values.Where(i => i.Name == name && (service is null || i.Service == service))
                .SelectMany(i => i.Series.Values.Where(s => s.Points.Count > 0).Select(s => (s.Attributes, s.Points.Last)))
                .ToList();
    }

    /// <summary>
    /// The instrument over the last <paramref name="window"/>, in steps of <paramref name="step"/>, its series
    /// (replicas, attribute sets, services unless one is named) added up.
    /// </summary>
    public MetricChart? Chart(string name, string? service, TimeSpan window, TimeSpan step, DateTimeOffset? now = null)
    {
        lock (_gate)
        {
            var instruments = _instruments.Values.Where(i => i.Name == name && (service is null || i.Service == service)).ToList();
            if (instruments.Count == 0) return null;
            var first = instruments[0];
            var stepNanos = step.Ticks * 100;
            var end = TelemetryTime.ToUnixNano(now ?? DateTimeOffset.UtcNow);
            var startBucket = (end - window.Ticks * 100) / stepNanos;
            var buckets = (int)(end / stepNanos - startBucket) + 1;
            var sums = new double?[buckets];
            var histograms = new ulong[]?[buckets];
            double[]? bounds = null;

            foreach (var series in instruments.Where(i => i.Kind == first.Kind).SelectMany(i => i.Series.Values.Select(s => (Instrument: i, Series: s))))
            {
                var points = series.Series.Points;
                if (first.Kind == MetricKind.Histogram)
                {
                    bounds ??= series.Series.Bounds;
                    if (series.Series.Bounds is null || !series.Series.Bounds.AsSpan().SequenceEqual(bounds)) continue;
                }
                if (first.Kind == MetricKind.Gauge || (first.Kind == MetricKind.Sum && !first.IsMonotonic))
                {
                    // A level: the last value of each series in each step, summed over series.
                    var last = new double?[buckets];
                    for (var p = 0; p < points.Count; p++)
                        if (Bucket(points[p].TimeUnixNano) is int b) last[b] = points[p].Value;
                    for (var b = 0; b < buckets; b++)
                        if (last[b] is double v) sums[b] = (sums[b] ?? 0) + v;
                    continue;
                }
                for (var p = 0; p < points.Count; p++)
                {
                    var point = points[p];
                    if (Bucket(point.TimeUnixNano) is not int b) continue;
                    // A delta point is its own increase; a cumulative one is the increase since the previous point,
                    // or, after a reset (new start time, lower value), everything since its start.
                    MetricPoint? previous = null;
                    if (series.Instrument.Cumulative)
                    {
                        if (p == 0) continue; // no baseline yet
                        var before = points[p - 1];
                        var reset = before.StartUnixNano != point.StartUnixNano || before.Count > point.Count
                            || (first.Kind == MetricKind.Sum && before.Value > point.Value);
                        previous = reset ? null : before;
                    }
                    if (first.Kind == MetricKind.Histogram)
                    {
                        var counts = histograms[b] ??= new ulong[point.Buckets?.Length ?? 0];
                        if (point.Buckets is null || counts.Length != point.Buckets.Length) continue;
                        for (var k = 0; k < counts.Length; k++) counts[k] += point.Buckets[k] - (previous?.Buckets?[k] ?? 0);
                        sums[b] = (sums[b] ?? 0) + (point.Count - (previous?.Count ?? 0));
                    }
                    else
                    {
                        sums[b] = (sums[b] ?? 0) + (point.Value - (previous?.Value ?? 0));
                    }
                }
            }

            var chart = new List<ChartPoint>(buckets);
            var level = first.Kind == MetricKind.Gauge || (first.Kind == MetricKind.Sum && !first.IsMonotonic);
            for (var b = 0; b < buckets; b++)
            {
                var time = TelemetryTime.FromUnixNano((startBucket + b + 1) * stepNanos);
                if (level) { chart.Add(new ChartPoint(time, sums[b], null, null, null, null)); continue; }
                var rate = sums[b] is double increase ? increase / step.TotalSeconds : (double?)null;
                if (first.Kind == MetricKind.Histogram && histograms[b] is { } counts && bounds is not null && counts.Any(c => c > 0))
                    chart.Add(new ChartPoint(time, null, rate, Quantile(bounds, counts, 0.5), Quantile(bounds, counts, 0.9), Quantile(bounds, counts, 0.99)));
                else
                    chart.Add(new ChartPoint(time, null, rate, null, null, null));
            }
            return new MetricChart(name, first.Unit, first.Kind, first.IsMonotonic, step.TotalSeconds, chart);

            int? Bucket(long timeUnixNano)
            {
                var b = timeUnixNano / stepNanos - startBucket;
                return b >= 0 && b < buckets ? (int)b : null;
            }
        }
    }

    /// <summary>A quantile of explicit-bucket counts, interpolated linearly inside the bucket it falls in.</summary>
    public static double Quantile(double[] bounds, ulong[] counts, double q)
    {
        var total = 0UL;
        foreach (var c in counts) total += c;
        if (total == 0) return double.NaN;
        var target = q * total;
        var seen = 0.0;
        for (var i = 0; i < counts.Length; i++)
        {
            if (counts[i] == 0) continue;
            if (seen + counts[i] >= target)
            {
                var lower = i == 0 ? Math.Min(0, bounds.Length > 0 ? bounds[0] : 0) : bounds[i - 1];
                var upper = i < bounds.Length ? bounds[i] : bounds.Length > 0 ? bounds[^1] : 0; // overflow bucket: its lower edge
                return lower + (upper - lower) * ((target - seen) / counts[i]);
            }
            seen += counts[i];
        }
        return bounds.Length > 0 ? bounds[^1] : 0;
    }
}
