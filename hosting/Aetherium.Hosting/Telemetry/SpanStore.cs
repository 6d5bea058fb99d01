namespace Aetherium.Hosting.Telemetry;

public sealed record TraceSummary(
    string TraceId,
    string Name,
    string RootService,
    IReadOnlyList<string> Services,
    int SpanCount,
    DateTimeOffset Start,
    double DurationMs,
    bool HasError);

/// <summary>The last spans received (a ring by count), indexed by trace so one trace is read whole.</summary>
public sealed class SpanStore(int capacity)
{
    private readonly Ring<StoredSpan> _ring = new(capacity);
    private readonly Dictionary<string, List<StoredSpan>> _byTrace = new(StringComparer.Ordinal);
    private readonly object _gate = new();

    public int Count { get { lock (_gate) return _ring.Count; } }
    public int Capacity => _ring.Capacity;

    public void Add(StoredSpan span)
    {
        lock (_gate)
        {
            if (_ring.Add(span, out var evicted) && _byTrace.TryGetValue(evicted.TraceId, out var old))
            {
                old.Remove(evicted);
                if (old.Count == 0) _byTrace.Remove(evicted.TraceId);
            }
            if (!_byTrace.TryGetValue(span.TraceId, out var list)) _byTrace[span.TraceId] = list = [];
            list.Add(span);
        }
    }

    /// <summary>Every span of a trace, in start order (empty when unknown or evicted).</summary>
    public IReadOnlyList<StoredSpan> Trace(string traceId)
    {
        lock (_gate)
            return _byTrace.TryGetValue(traceId, out var spans) ? spans.OrderBy(s => s.StartUnixNano).ToList() : [];
    }

    /// <summary>Newest traces first, optionally those a service takes part in, at least as long as <paramref name="minDurationMs"/>.</summary>
    public IReadOnlyList<TraceSummary> Traces(string? service = null, double minDurationMs = 0, int limit = 100)
    {
        List<List<StoredSpan>> traces;
        lock (_gate) traces = _byTrace.Values.Select(l => l.ToList()).ToList();
        return traces
            .Select(Summarize)
            .Where(t => (service is null || t.Services.Contains(service)) && t.DurationMs >= minDurationMs)
            .OrderByDescending(t => t.Start)
            .Take(limit)
            .ToList();
    }

    /// <summary>Names of the services that sent spans.</summary>
    public IReadOnlyList<string> Services()
    {
        lock (_gate) return _ring.Items().Select(s => s.Source.Service).Distinct().Order(StringComparer.Ordinal).ToList();
    }

    private static TraceSummary Summarize(List<StoredSpan> spans)
    {
        spans.Sort((a, b) => a.StartUnixNano.CompareTo(b.StartUnixNano));
        var ids = spans.Select(s => s.SpanId).ToHashSet(StringComparer.Ordinal);
        // The root is the span without a parent here (a parent may not have arrived yet, or be evicted).
        var root = spans.FirstOrDefault(s => s.ParentSpanId is null) ?? spans.FirstOrDefault(s => !ids.Contains(s.ParentSpanId!)) ?? spans[0];
        var start = spans[0].StartUnixNano;
        var end = spans.Max(s => s.EndUnixNano);
        return new TraceSummary(
            root.TraceId,
            root.Name,
            root.Source.Service,
            spans.Select(s => s.Source.Service).Distinct().ToList(),
            spans.Count,
            TelemetryTime.FromUnixNano(start),
            Math.Max(0, end - start) / 1_000_000.0,
            spans.Any(s => s.Status == "Error"));
    }
}
