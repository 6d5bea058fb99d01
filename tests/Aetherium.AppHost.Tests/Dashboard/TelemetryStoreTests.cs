using Aetherium.Hosting.Telemetry;
using Aetherium.Hosting.Telemetry.Otlp.Collector.Logs;
using Aetherium.Hosting.Telemetry.Otlp.Collector.Metrics;
using Aetherium.Hosting.Telemetry.Otlp.Collector.Trace;
using Aetherium.Hosting.Telemetry.Otlp.Common;
using Aetherium.Hosting.Telemetry.Otlp.Logs;
using Aetherium.Hosting.Telemetry.Otlp.Metrics;
using Aetherium.Hosting.Telemetry.Otlp.Trace;
using Google.Protobuf;
using Xunit;
using Xunit.Abstractions;
using OtlpResource = Aetherium.Hosting.Telemetry.Otlp.Resource.Resource;

namespace Aetherium.AppHost.Tests.Dashboard;

/// <summary>
/// The stores stay bounded however much arrives (oldest dropped), and what they hold when full is measured and
/// printed. Items are built as OTLP messages of a realistic size (the attributes the ASP.NET Core, HttpClient,
/// Npgsql and MassTransit instrumentations set), each with strings of its own, as parsing real requests gives.
/// </summary>
public sealed class TelemetryStoreTests(ITestOutputHelper output)
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.UtcNow.AddMinutes(-1);

    private static OtlpResource Resource(string service) => new()
    {
        Attributes = { Kv("service.name", service), Kv("service.instance.id", $"{service}-abc12345-0"), Kv("telemetry.sdk.name", "opentelemetry"), Kv("telemetry.sdk.language", "dotnet"), Kv("telemetry.sdk.version", "1.20.1") },
    };

    private static KeyValue Kv(string key, string value) => new() { Key = key, Value = new AnyValue { StringValue = value } };

    private static ExportTraceServiceRequest Spans(int batch, int count)
    {
        var scope = new ScopeSpans { Scope = new InstrumentationScope { Name = "Microsoft.AspNetCore" } };
        for (var i = 0; i < count; i++)
        {
            var n = batch * count + i;
            scope.Spans.Add(new Span
            {
                TraceId = ByteString.CopyFrom(Guid.NewGuid().ToByteArray()),
                SpanId = ByteString.CopyFrom(BitConverter.GetBytes((long)n + 1)),
                ParentSpanId = ByteString.CopyFrom(BitConverter.GetBytes((long)n + 1_000_000_000)),
                Name = $"GET /api/v1/workers/{{id}} {n % 7}",
                Kind = Span.Types.SpanKind.Server,
                StartTimeUnixNano = (ulong)TelemetryTime.ToUnixNano(T0) + (ulong)n * 1000,
                EndTimeUnixNano = (ulong)TelemetryTime.ToUnixNano(T0) + (ulong)n * 1000 + 2_500_000,
                Attributes =
                {
                    Kv("http.request.method", "GET"), Kv("url.path", $"/api/v1/workers/{Guid.NewGuid()}"), Kv("url.scheme", "http"),
                    Kv("server.address", "localhost"), Kv("server.port", "41234"), Kv("network.protocol.version", "1.1"),
                    Kv("http.route", "/api/v1/workers/{id}"), Kv("http.response.status_code", "200"), Kv("user_agent.original", $"aetherium-cli/1.0 ({n})"),
                    Kv("client.address", "127.0.0.1"), Kv("aetherium.organization_id", Guid.NewGuid().ToString()), Kv("messaging.message.id", Guid.NewGuid().ToString()),
                },
                Status = new Status { Code = Status.Types.StatusCode.Unset },
            });
        }
        return new ExportTraceServiceRequest { ResourceSpans = { new ResourceSpans { Resource = Resource("inventory"), ScopeSpans = { scope } } } };
    }

    private static ExportLogsServiceRequest Logs(int batch, int count)
    {
        var scope = new ScopeLogs { Scope = new InstrumentationScope { Name = "Aetherium.Inventory.Workers.HeartbeatHandler" } };
        for (var i = 0; i < count; i++)
        {
            var n = batch * count + i;
            scope.LogRecords.Add(new LogRecord
            {
                TimeUnixNano = (ulong)TelemetryTime.ToUnixNano(T0) + (ulong)n,
                SeverityNumber = SeverityNumber.Info,
                SeverityText = "Information",
                Body = new AnyValue { StringValue = $"Worker {Guid.NewGuid()} sent heartbeat {n}: 3 VMs, cpu 41.5 %, memory 62.0 %" },
                TraceId = ByteString.CopyFrom(Guid.NewGuid().ToByteArray()),
                SpanId = ByteString.CopyFrom(BitConverter.GetBytes((long)n)),
                Attributes = { Kv("WorkerId", Guid.NewGuid().ToString()), Kv("Sequence", n.ToString()), Kv("VmCount", "3"), Kv("{OriginalFormat}", "Worker {WorkerId} sent heartbeat {Sequence}: {VmCount} VMs, cpu {Cpu} %, memory {Memory} %"), Kv("Cpu", "41.5"), Kv("Memory", "62.0") },
            });
        }
        return new ExportLogsServiceRequest { ResourceLogs = { new ResourceLogs { Resource = Resource("inventory"), ScopeLogs = { scope } } } };
    }

    /// <summary>One export of <paramref name="series"/> series (distinct attribute sets), each a histogram with the 16 buckets of http.server.request.duration.</summary>
    private static ExportMetricsServiceRequest Histograms(int series, int tick, bool histogram)
    {
        var metric = new Metric { Name = histogram ? "http.server.request.duration" : "aetherium.heartbeats", Unit = histogram ? "s" : "{heartbeat}", Description = "Duration of HTTP server requests." };
        var time = (ulong)TelemetryTime.ToUnixNano(T0.AddSeconds(tick));
        var start = (ulong)TelemetryTime.ToUnixNano(T0.AddHours(-1));
        if (histogram) metric.Histogram = new Histogram { AggregationTemporality = AggregationTemporality.Cumulative };
        else metric.Sum = new Sum { AggregationTemporality = AggregationTemporality.Cumulative, IsMonotonic = true };
        for (var s = 0; s < series; s++)
        {
            var attributes = new[] { Kv("http.request.method", "GET"), Kv("http.route", $"/api/v1/route{s}"), Kv("http.response.status_code", "200"), Kv("network.protocol.version", "1.1"), Kv("url.scheme", "http") };
            if (histogram)
            {
                var p = new HistogramDataPoint { StartTimeUnixNano = start, TimeUnixNano = time, Count = (ulong)tick * 10, Sum = tick * 0.25 };
                p.Attributes.AddRange(attributes);
                p.ExplicitBounds.AddRange([0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10]);
                p.BucketCounts.AddRange(Enumerable.Range(0, 15).Select(b => (ulong)(tick * (b < 4 ? 2 : 0))));
                metric.Histogram.DataPoints.Add(p);
            }
            else
            {
                var p = new NumberDataPoint { StartTimeUnixNano = start, TimeUnixNano = time, AsInt = tick * 100 };
                p.Attributes.AddRange(attributes);
                metric.Sum.DataPoints.Add(p);
            }
        }
        return new ExportMetricsServiceRequest
        {
            ResourceMetrics = { new ResourceMetrics { Resource = Resource("gateway"), ScopeMetrics = { new ScopeMetrics { Scope = new InstrumentationScope { Name = "Microsoft.AspNetCore.Hosting" }, Metrics = { metric } } } } },
        };
    }

    private static long Retained(Action fill)
    {
        var before = GC.GetTotalMemory(forceFullCollection: true);
        fill();
        return GC.GetTotalMemory(forceFullCollection: true) - before;
    }

    private static string Mb(long bytes) => $"{bytes / 1024.0 / 1024.0:0.0} MiB";

    [Fact]
    public void Spans_are_bounded_by_count_and_the_oldest_go_first()
    {
        var store = new TelemetryStore(new TelemetryLimits());
        var limit = store.Limits.MaxSpans;
        var full = Retained(() => { for (var b = 0; b < limit / 100; b++) store.Add(Spans(b, 100)); });
        var firstTrace = store.Spans.Traces(limit: int.MaxValue).MinBy(t => t.Start)!.TraceId;
        var twice = Retained(() => { for (var b = limit / 100; b < 2 * limit / 100; b++) store.Add(Spans(b, 100)); });

        Assert.Equal(limit, store.Spans.Count);
        Assert.Empty(store.Spans.Trace(firstTrace)); // dropped: the oldest went first
        Assert.Equal(limit, store.Spans.Traces(limit: int.MaxValue).Count); // the trace index shrank with the ring
        Assert.True(Math.Abs(twice) < full / 5, $"memory grew by {Mb(twice)} after a second fill of {Mb(full)}");
        output.WriteLine($"spans: {limit:N0} kept (12 attributes each) = {Mb(full)}, {full / limit} B per span; after {2 * limit:N0} received: {Mb(full + twice)}");
        GC.KeepAlive(store);
    }

    [Fact]
    public void Logs_are_bounded_by_count_and_the_oldest_go_first()
    {
        var store = new TelemetryStore(new TelemetryLimits());
        var limit = store.Limits.MaxLogs;
        var full = Retained(() => { for (var b = 0; b < limit / 100; b++) store.Add(Logs(b, 100)); });
        var twice = Retained(() => { for (var b = limit / 100; b < 2 * limit / 100; b++) store.Add(Logs(b, 100)); });

        Assert.Equal(limit, store.Logs.Count);
        var all = store.Logs.Query(new LogQuery(Limit: int.MaxValue));
        Assert.Equal(limit, all.Count);
        Assert.Contains($"heartbeat {2 * limit - 1}:", all[0].Message); // newest first
        Assert.Contains($"heartbeat {limit}:", all[^1].Message); // the first fill is gone
        Assert.True(Math.Abs(twice) < full / 5, $"memory grew by {Mb(twice)} after a second fill of {Mb(full)}");
        output.WriteLine($"logs: {limit:N0} kept (6 attributes each) = {Mb(full)}, {full / limit} B per record; after {2 * limit:N0} received: {Mb(full + twice)}");
        GC.KeepAlive(store);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Metric_series_and_their_points_are_bounded(bool histogram)
    {
        var store = new TelemetryStore(new TelemetryLimits());
        var (series, points) = (store.Limits.MaxMetricSeries, store.Limits.MaxPointsPerSeries);
        var full = Retained(() => { for (var t = 1; t <= points; t++) store.Add(Histograms(series, t, histogram)); });
        Assert.Equal(series, store.Metrics.SeriesCount);
        Assert.Equal(series * points, store.Metrics.PointCount);

        // As many points again for every series, and a burst of as many new series (a new route on each): the counts stay,
        // each series keeps its newest points, and the least recently updated series made room for the new ones.
        var twice = Retained(() =>
        {
            for (var t = points + 1; t <= 2 * points; t++) store.Add(Histograms(series, t, histogram));
            store.Add(Histograms(2 * series, 2 * points + 1, histogram));
        });
        Assert.Equal(series, store.Metrics.SeriesCount);
        Assert.Equal(series, store.Metrics.Latest(histogram ? "http.server.request.duration" : "aetherium.heartbeats").Count);
        Assert.InRange(store.Metrics.PointCount, series, series * points);
        Assert.True(twice < full / 5, $"memory grew by {Mb(twice)} after a second fill of {Mb(full)}");
        output.WriteLine($"metrics ({(histogram ? "histograms, 15 buckets" : "sums")}): {series:N0} series x {points} points = {Mb(full)}, {full / (series * points)} B per point");
        GC.KeepAlive(store);
    }

    [Fact]
    public void A_counter_s_rate_survives_a_service_restart_and_histogram_percentiles_fall_in_their_buckets()
    {
        var store = new MetricStore(100, 100);
        var source = new TelemetrySource("scheduler", "scheduler-0");
        var now = DateTimeOffset.UtcNow;
        long Nanos(int second) => TelemetryTime.ToUnixNano(now.AddSeconds(second - 60));
        void Counter(int second, double value, int startSecond) =>
            store.Add(source, "aetherium.vms.placed", "{vm}", "", "Aetherium", MetricKind.Sum, true, true, [], new MetricPoint(Nanos(second), Nanos(startSecond), value, 0, null));
        // 10 placements a second for 20 s; the service restarts (new start time, the count from 0) and goes on at 10/s.
        for (var s = 0; s <= 20; s++) Counter(s, 10 * s, -1);
        for (var s = 21; s <= 40; s++) Counter(s, 10 * (s - 20), 20);

        var chart = store.Chart("aetherium.vms.placed", null, TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(5), now)!;
        var rates = chart.Points.Where(p => p.Rate is not null).Select(p => p.Rate!.Value).ToList();
        Assert.NotEmpty(rates);
        Assert.All(rates, r => Assert.InRange(r, 0, 10.0001)); // no negative dip, no spike at the restart
        Assert.Equal(400, rates.Sum() * 5, precision: 6); // 10/s for the 40 s after the baseline point

        // Latencies: 90 requests in (0.005, 0.01] s and 10 in (0.1, 0.25] s.
        double[] bounds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25];
        void Histogram(int second, ulong fast, ulong slow) =>
            store.Add(source, "http.server.request.duration", "s", "", "Microsoft.AspNetCore.Hosting", MetricKind.Histogram, true, true, [],
                new MetricPoint(Nanos(second), Nanos(-1), 0, fast + slow, [0, fast, 0, 0, 0, slow, 0]), bounds);
        Histogram(50, 0, 0);
        Histogram(51, 90, 10);
        var latency = store.Chart("http.server.request.duration", "scheduler", TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(60), now)!;
        var point = Assert.Single(latency.Points, p => p.P50 is not null);
        Assert.InRange(point.P50!.Value, 0.005, 0.01);
        Assert.InRange(point.P90!.Value, 0.005, 0.01);
        Assert.InRange(point.P99!.Value, 0.1, 0.25);
    }
}
