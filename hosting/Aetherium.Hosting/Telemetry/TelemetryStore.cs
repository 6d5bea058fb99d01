using System.Globalization;
using System.Text;
using Aetherium.Hosting.Telemetry.Otlp.Collector.Logs;
using Aetherium.Hosting.Telemetry.Otlp.Collector.Metrics;
using Aetherium.Hosting.Telemetry.Otlp.Collector.Trace;
using Aetherium.Hosting.Telemetry.Otlp.Common;
using Aetherium.Hosting.Telemetry.Otlp.Metrics;
using Google.Protobuf;
using OtlpResource = Aetherium.Hosting.Telemetry.Otlp.Resource.Resource;
using OtlpSpan = Aetherium.Hosting.Telemetry.Otlp.Trace.Span;

namespace Aetherium.Hosting.Telemetry;

/// <summary>
/// Everything the OTLP receiver took in, in bounded memory: spans, structured logs and metrics, each keyed by the
/// sending service (<c>service.name</c>, which the AppHost sets to the resource name through OTEL_SERVICE_NAME).
/// </summary>
public sealed class TelemetryStore(TelemetryLimits limits)
{
    public TelemetryLimits Limits { get; } = limits;
    public SpanStore Spans { get; } = new(limits.MaxSpans);
    public LogStore Logs { get; } = new(limits.MaxLogs);
    public MetricStore Metrics { get; } = new(limits.MaxMetricSeries, limits.MaxPointsPerSeries);

    internal void Add(ExportTraceServiceRequest request)
    {
        foreach (var resourceSpans in request.ResourceSpans)
        {
            var source = Source(resourceSpans.Resource);
            foreach (var scopeSpans in resourceSpans.ScopeSpans)
            {
                var scope = scopeSpans.Scope?.Name ?? "";
                foreach (var span in scopeSpans.Spans)
                {
                    if (span.TraceId.Length == 0 || span.SpanId.Length == 0) continue;
                    Spans.Add(new StoredSpan(
                        Hex(span.TraceId),
                        Hex(span.SpanId),
                        span.ParentSpanId.Length == 0 ? null : Hex(span.ParentSpanId),
                        span.Name,
                        span.Kind switch
                        {
                            OtlpSpan.Types.SpanKind.Server => "Server",
                            OtlpSpan.Types.SpanKind.Client => "Client",
                            OtlpSpan.Types.SpanKind.Producer => "Producer",
                            OtlpSpan.Types.SpanKind.Consumer => "Consumer",
                            OtlpSpan.Types.SpanKind.Internal => "Internal",
                            _ => "Unspecified",
                        },
                        (long)span.StartTimeUnixNano,
                        (long)span.EndTimeUnixNano,
                        source,
                        scope,
                        span.Status?.Code switch
                        {
                            Otlp.Trace.Status.Types.StatusCode.Ok => "Ok",
                            Otlp.Trace.Status.Types.StatusCode.Error => "Error",
                            _ => "Unset",
                        },
                        span.Status?.Message is { Length: > 0 } m ? Cut(m) : null,
                        Attributes(span.Attributes),
                        span.Events.Take(Limits.MaxSpanEvents)
                            .Select(e => new SpanEvent(TelemetryTime.FromUnixNano((long)e.TimeUnixNano), e.Name, Attributes(e.Attributes)))
                            .ToArray()));
                }
            }
        }
    }

    internal void Add(ExportLogsServiceRequest request)
    {
        foreach (var resourceLogs in request.ResourceLogs)
        {
            var source = Source(resourceLogs.Resource);
            foreach (var scopeLogs in resourceLogs.ScopeLogs)
            {
                // The .NET SDK puts the logger's category in the scope name.
                var category = scopeLogs.Scope?.Name ?? "";
                foreach (var record in scopeLogs.LogRecords)
                {
                    var nanos = record.TimeUnixNano != 0 ? record.TimeUnixNano : record.ObservedTimeUnixNano;
                    var severity = (int)record.SeverityNumber;
                    Logs.Add(sequence => new StoredLog(
                        sequence,
                        TelemetryTime.FromUnixNano((long)nanos),
                        severity,
                        LogStore.Level(severity),
                        Cut(record.Body is null ? "" : Text(record.Body)),
                        source,
                        category,
                        record.TraceId.Length == 0 ? null : Hex(record.TraceId),
                        record.SpanId.Length == 0 ? null : Hex(record.SpanId),
                        Attributes(record.Attributes)));
                }
            }
        }
    }

    internal void Add(ExportMetricsServiceRequest request)
    {
        foreach (var resourceMetrics in request.ResourceMetrics)
        {
            var source = Source(resourceMetrics.Resource);
            foreach (var scopeMetrics in resourceMetrics.ScopeMetrics)
            {
                var scope = scopeMetrics.Scope?.Name ?? "";
                foreach (var metric in scopeMetrics.Metrics)
                {
                    switch (metric.DataCase)
                    {
                        case Metric.DataOneofCase.Gauge:
                            foreach (var p in metric.Gauge.DataPoints)
                                Metrics.Add(source, metric.Name, metric.Unit, metric.Description, scope, MetricKind.Gauge, false, false,
                                    Attributes(p.Attributes), Number(p));
                            break;
                        case Metric.DataOneofCase.Sum:
                            var cumulative = metric.Sum.AggregationTemporality == AggregationTemporality.Cumulative;
                            foreach (var p in metric.Sum.DataPoints)
                                Metrics.Add(source, metric.Name, metric.Unit, metric.Description, scope, MetricKind.Sum, metric.Sum.IsMonotonic, cumulative,
                                    Attributes(p.Attributes), Number(p));
                            break;
                        case Metric.DataOneofCase.Histogram:
                            var cumulativeHistogram = metric.Histogram.AggregationTemporality == AggregationTemporality.Cumulative;
                            foreach (var p in metric.Histogram.DataPoints)
                                Metrics.Add(source, metric.Name, metric.Unit, metric.Description, scope, MetricKind.Histogram, true, cumulativeHistogram,
                                    Attributes(p.Attributes),
                                    new MetricPoint((long)p.TimeUnixNano, (long)p.StartTimeUnixNano, p.HasSum ? p.Sum : 0, p.Count, [.. p.BucketCounts]),
                                    [.. p.ExplicitBounds]);
                            break;
                        // Exponential histograms and summaries are not charted (the .NET SDK sends neither by default).
                    }
                }
            }
        }
    }

    private static MetricPoint Number(NumberDataPoint p) =>
        new((long)p.TimeUnixNano, (long)p.StartTimeUnixNano, p.ValueCase == NumberDataPoint.ValueOneofCase.AsInt ? p.AsInt : p.AsDouble, 0, null);

    private static TelemetrySource Source(OtlpResource? resource)
    {
        string? Get(string key) => resource?.Attributes.FirstOrDefault(a => a.Key == key)?.Value is { } v ? Text(v) : null;
        return new TelemetrySource(Get("service.name") ?? "unknown_service", Get("service.instance.id"));
    }

    private Attribute[] Attributes(IEnumerable<KeyValue> attributes) =>
        attributes.Take(Limits.MaxAttributes).Select(a => new Attribute(a.Key, Cut(a.Value is null ? "" : Text(a.Value)))).ToArray();

    private string Cut(string value) => value.Length <= Limits.MaxAttributeLength ? value : value[..Limits.MaxAttributeLength] + "…";

    private static string Hex(ByteString bytes) => Convert.ToHexStringLower(bytes.Span);

    /// <summary>An OTLP value as text: scalars as they are, arrays and maps in a JSON-like form.</summary>
    internal static string Text(AnyValue value)
    {
        switch (value.ValueCase)
        {
            case AnyValue.ValueOneofCase.StringValue: return value.StringValue;
            case AnyValue.ValueOneofCase.BoolValue: return value.BoolValue ? "true" : "false";
            case AnyValue.ValueOneofCase.IntValue: return value.IntValue.ToString(CultureInfo.InvariantCulture);
            case AnyValue.ValueOneofCase.DoubleValue: return value.DoubleValue.ToString(CultureInfo.InvariantCulture);
            case AnyValue.ValueOneofCase.BytesValue: return Convert.ToBase64String(value.BytesValue.Span);
            case AnyValue.ValueOneofCase.ArrayValue: return "[" + string.Join(", ", value.ArrayValue.Values.Select(Text)) + "]";
            case AnyValue.ValueOneofCase.KvlistValue:
                var sb = new StringBuilder("{");
                foreach (var kv in value.KvlistValue.Values)
                    sb.Append(sb.Length > 1 ? ", " : "").Append(kv.Key).Append(": ").Append(kv.Value is null ? "" : Text(kv.Value));
                return sb.Append('}').ToString();
            default: return "";
        }
    }
}
