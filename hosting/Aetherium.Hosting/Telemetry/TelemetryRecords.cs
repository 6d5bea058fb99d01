namespace Aetherium.Hosting.Telemetry;

/// <summary>Who sent an item: <c>service.name</c> and <c>service.instance.id</c> of its OTLP resource.</summary>
public sealed record TelemetrySource(string Service, string? Instance);

public readonly record struct Attribute(string Key, string Value);

public sealed record SpanEvent(DateTimeOffset Time, string Name, Attribute[] Attributes);

public sealed record StoredSpan(
    string TraceId,
    string SpanId,
    string? ParentSpanId,
    string Name,
    string Kind,
    long StartUnixNano,
    long EndUnixNano,
    TelemetrySource Source,
    string Scope,
    string Status,
    string? StatusMessage,
    Attribute[] Attributes,
    SpanEvent[] Events)
{
    public DateTimeOffset Start => TelemetryTime.FromUnixNano(StartUnixNano);
    public double DurationMs => Math.Max(0, EndUnixNano - StartUnixNano) / 1_000_000.0;
}

public sealed record StoredLog(
    long Sequence,
    DateTimeOffset Time,
    int SeverityNumber,
    string Level,
    string Message,
    TelemetrySource Source,
    string Category,
    string? TraceId,
    string? SpanId,
    Attribute[] Attributes);

public static class TelemetryTime
{
    public static DateTimeOffset FromUnixNano(long nanos) => DateTimeOffset.UnixEpoch.AddTicks(nanos / 100);
    public static long ToUnixNano(DateTimeOffset time) => (time - DateTimeOffset.UnixEpoch).Ticks * 100;
}
