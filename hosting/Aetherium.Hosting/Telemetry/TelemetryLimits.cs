namespace Aetherium.Hosting.Telemetry;

/// <summary>
/// How much telemetry the AppHost keeps in memory (configuration <c>AppHost:Telemetry:*</c>). Every store is a
/// ring by count: when full, the oldest item goes. Attributes are capped per item and values cut to a
/// length, so a count bounds the memory too (Aspire's dashboard has the same kind of limits).
/// </summary>
public sealed record TelemetryLimits
{
    public int MaxSpans { get; init; } = 20_000;
    public int MaxLogs { get; init; } = 10_000;
    /// <summary>Distinct (service, instrument, attribute set) series; the least recently updated goes first.</summary>
    public int MaxMetricSeries { get; init; } = 2_000;
    /// <summary>Points kept per series: 300 at the development export interval of 1 s is 5 minutes.</summary>
    public int MaxPointsPerSeries { get; init; } = 300;
    public int MaxAttributes { get; init; } = 64;
    public int MaxAttributeLength { get; init; } = 1_024;
    public int MaxSpanEvents { get; init; } = 32;

    public static TelemetryLimits From(Microsoft.Extensions.Configuration.IConfiguration configuration)
    {
        var d = new TelemetryLimits();
        int Get(string key, int fallback) => int.TryParse(configuration[$"AppHost:Telemetry:{key}"], out var v) && v > 0 ? v : fallback;
        return new TelemetryLimits
        {
            MaxSpans = Get(nameof(MaxSpans), d.MaxSpans),
            MaxLogs = Get(nameof(MaxLogs), d.MaxLogs),
            MaxMetricSeries = Get(nameof(MaxMetricSeries), d.MaxMetricSeries),
            MaxPointsPerSeries = Get(nameof(MaxPointsPerSeries), d.MaxPointsPerSeries),
            MaxAttributes = Get(nameof(MaxAttributes), d.MaxAttributes),
            MaxAttributeLength = Get(nameof(MaxAttributeLength), d.MaxAttributeLength),
            MaxSpanEvents = Get(nameof(MaxSpanEvents), d.MaxSpanEvents),
        };
    }
}
