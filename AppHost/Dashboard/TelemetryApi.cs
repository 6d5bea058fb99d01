using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Aetherium.Hosting;
using Aetherium.Hosting.Telemetry;

namespace Aetherium.AppHost.Dashboard;

public sealed record StoreUse(int Count, int Capacity);
public sealed record TelemetryInfo(bool Receiver, string? ExternalEndpoint, string? OtlpGrpc, string? OtlpHttp, StoreUse? Spans, StoreUse? Logs, StoreUse? MetricSeries, IReadOnlyList<string> Services);

public sealed record LogView(long Sequence, DateTimeOffset Time, string Level, int SeverityNumber, string Resource, string? Instance, string Category, string Message, string? TraceId, string? SpanId, IReadOnlyDictionary<string, string> Attributes);
public sealed record LogList(IReadOnlyList<LogView> Logs, int Total);

public sealed record TraceList(IReadOnlyList<TraceSummary> Traces, int Total);
public sealed record SpanEventView(DateTimeOffset Time, double OffsetMs, string Name, IReadOnlyDictionary<string, string> Attributes);
public sealed record SpanView(string SpanId, string? ParentSpanId, int Depth, string Name, string Kind, string Service, string? Instance, string Scope,
    DateTimeOffset Start, double OffsetMs, double DurationMs, string Status, string? StatusMessage, IReadOnlyDictionary<string, string> Attributes, IReadOnlyList<SpanEventView> Events);
public sealed record TraceView(string TraceId, IReadOnlyList<string> Services, DateTimeOffset Start, double DurationMs, int SpanCount, IReadOnlyList<SpanView> Spans);

public sealed record InstrumentList(IReadOnlyList<InstrumentInfo> Instruments, int Total);

/// <summary>Structured logs, traces and metrics from the AppHost's OTLP receiver, as JSON for the dashboard's pages.</summary>
internal static class TelemetryApi
{
    public static void Map(WebApplication web, DistributedApplication app)
    {
        var store = app.Telemetry;

        web.MapGet("/api/telemetry", () => TypedResults.Ok(new TelemetryInfo(
            store is not null,
            app.ExternalOtlpEndpoint,
            app.OtlpReceiver?.GrpcEndpoint,
            app.OtlpReceiver?.HttpEndpoint,
            store is null ? null : new StoreUse(store.Spans.Count, store.Spans.Capacity),
            store is null ? null : new StoreUse(store.Logs.Count, store.Logs.Capacity),
            store is null ? null : new StoreUse(store.Metrics.SeriesCount, store.Metrics.MaxSeries),
            store is null ? [] : store.Spans.Services().Union(store.Metrics.Instruments().Select(i => i.Service)).Order(StringComparer.Ordinal).ToList())));

        web.MapGet("/api/logs", (string? resource, string? level, string? text, string? trace_id, int? limit) =>
        {
            var logs = store?.Logs.Query(new LogQuery(Blank(resource), LogStore.MinSeverity(level), Blank(text), Blank(trace_id), Math.Clamp(limit ?? 200, 1, 2000))) ?? [];
            return TypedResults.Ok(new LogList(logs.Select(l => new LogView(l.Sequence, l.Time, l.Level, l.SeverityNumber, l.Source.Service, l.Source.Instance,
                l.Category, l.Message, l.TraceId, l.SpanId, Map(l.Attributes))).ToList(), logs.Count));
        });

        web.MapGet("/api/traces", (string? service, double? min_duration_ms, int? limit) =>
        {
            var traces = store?.Spans.Traces(Blank(service), min_duration_ms ?? 0, Math.Clamp(limit ?? 100, 1, 1000)) ?? [];
            return TypedResults.Ok(new TraceList(traces, traces.Count));
        });

        web.MapGet("/api/traces/{traceId}", (string traceId) =>
        {
            var spans = store?.Spans.Trace(traceId.ToLowerInvariant()) ?? [];
            if (spans.Count == 0) return (IResult)TypedResults.Problem($"No trace '{traceId}' (unknown, or no longer kept).", statusCode: StatusCodes.Status404NotFound);
            return TypedResults.Ok(Waterfall(traceId.ToLowerInvariant(), spans));
        });

        web.MapGet("/api/metrics", (string? service) =>
        {
            var instruments = store?.Metrics.Instruments(Blank(service)) ?? [];
            return TypedResults.Ok(new InstrumentList(instruments, instruments.Count));
        });

        web.MapGet("/api/metrics/chart", (string? name, string? service, int? window, int? step) =>
        {
            var errors = new Dictionary<string, string[]>();
            if (string.IsNullOrWhiteSpace(name)) errors["name"] = ["Name the instrument (see /api/metrics)."];
            if (window is < 10 or > 3600) errors["window"] = ["Between 10 and 3600 seconds."];
            if (step is < 1 or > 600) errors["step"] = ["Between 1 and 600 seconds."];
            if (errors.Count > 0) return (IResult)TypedResults.ValidationProblem(errors);
            var chart = store?.Metrics.Chart(name!, Blank(service), TimeSpan.FromSeconds(window ?? 300), TimeSpan.FromSeconds(step ?? 5));
            return chart is null
                ? TypedResults.Problem($"No instrument '{name}'{(service is null ? "" : $" from {service}")}.", statusCode: StatusCodes.Status404NotFound)
                : TypedResults.Ok(chart);
        });
    }

    /// <summary>Spans in tree order (each after its parent, siblings by start), with depth and offset from the trace's start.</summary>
    private static TraceView Waterfall(string traceId, IReadOnlyList<StoredSpan> spans)
    {
        var ids = spans.Select(s => s.SpanId).ToHashSet(StringComparer.Ordinal);
        var children = spans.Where(s => s.ParentSpanId is not null && ids.Contains(s.ParentSpanId))
            .GroupBy(s => s.ParentSpanId!).ToDictionary(g => g.Key, g => g.OrderBy(s => s.StartUnixNano).ToList());
        var roots = spans.Where(s => s.ParentSpanId is null || !ids.Contains(s.ParentSpanId)).OrderBy(s => s.StartUnixNano);
        var start = spans.Min(s => s.StartUnixNano);
        var end = spans.Max(s => s.EndUnixNano);
        var ordered = new List<SpanView>(spans.Count);
        var stack = new Stack<(StoredSpan Span, int Depth)>(roots.Reverse().Select(r => (r, 0)));
        var visited = new HashSet<StoredSpan>(ReferenceEqualityComparer.Instance);
        while (stack.Count > 0)
        {
            var (span, depth) = stack.Pop();
            if (!visited.Add(span)) continue;
            ordered.Add(new SpanView(span.SpanId, span.ParentSpanId, depth, span.Name, span.Kind, span.Source.Service, span.Source.Instance, span.Scope,
                span.Start, (span.StartUnixNano - start) / 1e6, span.DurationMs, span.Status, span.StatusMessage, Map(span.Attributes),
                span.Events.Select(e => new SpanEventView(e.Time, (TelemetryTime.ToUnixNano(e.Time) - start) / 1e6, e.Name, Map(e.Attributes))).ToList()));
            if (children.TryGetValue(span.SpanId, out var kids))
                for (var k = kids.Count - 1; k >= 0; k--) stack.Push((kids[k], depth + 1));
            // Spans whose parents form a loop (bad data) reach no root: shown last, at the top level.
            if (stack.Count == 0 && visited.Count < spans.Count)
                foreach (var orphan in spans.Where(s => !visited.Contains(s)).Take(1)) stack.Push((orphan, 0));
        }
        var services = ordered.Select(s => s.Service).Distinct().ToList();
        return new TraceView(traceId, services, TelemetryTime.FromUnixNano(start), (end - start) / 1e6, spans.Count, ordered);
    }

    private static Dictionary<string, string> Map(Hosting.Telemetry.Attribute[] attributes)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var a in attributes) map.TryAdd(a.Key, a.Value);
        return map;
    }

    private static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();
}
