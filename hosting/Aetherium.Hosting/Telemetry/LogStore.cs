namespace Aetherium.Hosting.Telemetry;

public sealed record LogQuery(string? Service = null, int MinSeverity = 0, string? Text = null, string? TraceId = null, int Limit = 200);

/// <summary>The last structured log records received (a ring by count).</summary>
public sealed class LogStore(int capacity)
{
    private readonly Ring<StoredLog> _ring = new(capacity);
    private readonly object _gate = new();
    private long _sequence;

    public int Count { get { lock (_gate) return _ring.Count; } }
    public int Capacity => _ring.Capacity;

    public void Add(Func<long, StoredLog> create)
    {
        lock (_gate) _ring.Add(create(++_sequence), out _);
    }

    /// <summary>Newest first, filtered by service, minimum severity number, text (message or attributes) and trace.</summary>
    public IReadOnlyList<StoredLog> Query(LogQuery q)
    {
        lock (_gate)
        {
            var found = new List<StoredLog>();
            for (var i = _ring.Count - 1; i >= 0 && found.Count < q.Limit; i--)
            {
                var log = _ring[i];
                if (q.Service is not null && log.Source.Service != q.Service) continue;
                if (log.SeverityNumber < q.MinSeverity) continue;
                if (q.TraceId is not null && log.TraceId != q.TraceId) continue;
                if (q.Text is { Length: > 0 } text && !Matches(log, text)) continue;
                found.Add(log);
            }
            return found;
        }
    }

    private static bool Matches(StoredLog log, string text) =>
        log.Message.Contains(text, StringComparison.OrdinalIgnoreCase)
        || log.Category.Contains(text, StringComparison.OrdinalIgnoreCase)
        || log.Attributes.Any(a => a.Value.Contains(text, StringComparison.OrdinalIgnoreCase));

    /// <summary>OTLP severity number to the level names of .NET logging (Aspire shows the same).</summary>
    public static string Level(int severityNumber) => severityNumber switch
    {
        <= 0 => "Unspecified",
        <= 4 => "Trace",
        <= 8 => "Debug",
        <= 12 => "Information",
        <= 16 => "Warning",
        <= 20 => "Error",
        _ => "Critical",
    };

    /// <summary>The lowest severity number of a level name (for "this level and above" filters); 0 for none.</summary>
    public static int MinSeverity(string? level) => level?.ToLowerInvariant() switch
    {
        "trace" => 1,
        "debug" => 5,
        "information" or "info" => 9,
        "warning" or "warn" => 13,
        "error" => 17,
        "critical" or "fatal" => 21,
        _ => 0,
    };
}
