using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Text.Json;
using Aetherium.Testing;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Xunit;

namespace Aetherium.AppHost.Tests.Dashboard;

/// <summary>
/// Real OTLP from the OpenTelemetry SDK (the exporter the services use), over gRPC and over HTTP/protobuf, into the
/// AppHost's receiver; the spans, logs and metrics are then read back from the dashboard's JSON API.
/// </summary>
public sealed class OtlpIngestTests
{
    private static void Configure(OtlpExporterOptions o, Hosting.Telemetry.OtlpReceiver receiver, string protocol, string signal, string? key = null)
    {
        o.Protocol = protocol == "grpc" ? OtlpExportProtocol.Grpc : OtlpExportProtocol.HttpProtobuf;
        // Set in code, an HTTP endpoint is used as it is: it names the signal's path (the env variable would not).
        o.Endpoint = new Uri(protocol == "grpc" ? receiver.GrpcEndpoint : $"{receiver.HttpEndpoint}/v1/{signal}");
        o.Headers = $"{Hosting.Telemetry.OtlpReceiver.ApiKeyHeader}={key ?? receiver.ApiKey}";
        o.ExportProcessorType = ExportProcessorType.Simple;
    }

    private static ResourceBuilder Resource(string service) => ResourceBuilder.CreateEmpty().AddService(service, serviceInstanceId: $"{service}-i0");

    [Theory]
    [InlineData("grpc")]
    [InlineData("http/protobuf")]
    public async Task Spans_logs_and_metrics_sent_by_the_SDK_are_in_the_dashboard_API(string protocol)
    {
        var (app, dashboard) = await DashboardClient.StartEmptyAppAsync();
        await using var running = app;
        var receiver = app.OtlpReceiver!;
        using var client = await DashboardClient.SignedInAsync(dashboard);
        var service = "ingest-" + protocol.Replace("/", "-");
        var source = new ActivitySource($"Aetherium.Tests.{service}");
        using var meter = new Meter($"Aetherium.Tests.{service}");

        using var tracing = Sdk.CreateTracerProviderBuilder().SetResourceBuilder(Resource(service)).AddSource(source.Name)
            .AddOtlpExporter(o => Configure(o, receiver, protocol, "traces")).Build();
        using var logging = LoggerFactory.Create(b => b.AddOpenTelemetry(o =>
        {
            o.SetResourceBuilder(Resource(service));
            o.IncludeFormattedMessage = true;
            o.AddOtlpExporter(e => Configure(e, receiver, protocol, "logs"));
        }));
        using var metrics = Sdk.CreateMeterProviderBuilder().SetResourceBuilder(Resource(service)).AddMeter(meter.Name)
            .AddOtlpExporter((e, reader) => { Configure(e, receiver, protocol, "metrics"); reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = 60_000; })
            .Build();
        var placed = meter.CreateCounter<long>("test.vms.placed", "{vm}");
        var latency = meter.CreateHistogram<double>("test.placement.duration", "ms");

        string traceId;
        using (var root = source.StartActivity("POST /api/v1/vms", ActivityKind.Server)!)
        {
            root.SetTag("http.request.method", "POST");
            traceId = root.TraceId.ToHexString();
            using (var child = source.StartActivity("place vm", ActivityKind.Internal)!)
            {
                child.SetTag("vm.id", "vm-1");
                logging.CreateLogger("Aetherium.Placement").LogWarning("Placed {VmId} on {Worker}", "vm-1", "worker-7");
            }
        }
        placed.Add(5);
        latency.Record(1);
        Assert.True(metrics.ForceFlush(10_000)); // the first point of a cumulative series is the baseline
        placed.Add(7);
        foreach (var v in new[] { 20.0, 30.0, 40.0 }) latency.Record(v);
        Assert.True(tracing.ForceFlush(10_000));
        Assert.True(metrics.ForceFlush(10_000));
        logging.Dispose(); // flushes the log processor

        // Traces: listed for the service, and one trace read whole with its parent/child spans and attributes.
        var traces = await client.GetJsonAsync($"/api/traces?service={service}");
        var listed = Assert.Single(traces.GetProperty("traces").EnumerateArray());
        Assert.Equal(traceId, listed.GetProperty("trace_id").GetString());
        Assert.Equal("POST /api/v1/vms", listed.GetProperty("name").GetString());
        Assert.Equal(2, listed.GetProperty("span_count").GetInt32());
        var trace = await client.GetJsonAsync($"/api/traces/{traceId}");
        var spans = trace.GetProperty("spans").EnumerateArray().ToList();
        Assert.Equal(["POST /api/v1/vms", "place vm"], spans.Select(s => s.GetProperty("name").GetString()!).ToArray());
        Assert.Equal([0, 1], spans.Select(s => s.GetProperty("depth").GetInt32()).ToArray());
        Assert.Equal(spans[0].GetProperty("span_id").GetString(), spans[1].GetProperty("parent_span_id").GetString());
        Assert.Equal("Server", spans[0].GetProperty("kind").GetString());
        Assert.Equal(service, spans[1].GetProperty("service").GetString());
        Assert.Equal($"{service}-i0", spans[1].GetProperty("instance").GetString());
        Assert.Equal("vm-1", spans[1].GetProperty("attributes").GetProperty("vm.id").GetString());

        // Structured logs: level, message, attributes and the trace they were written in.
        var logs = await client.GetJsonAsync($"/api/logs?resource={service}&level=Warning&text=worker-7");
        var log = Assert.Single(logs.GetProperty("logs").EnumerateArray());
        Assert.Equal("Warning", log.GetProperty("level").GetString());
        Assert.Equal("Placed vm-1 on worker-7", log.GetProperty("message").GetString());
        Assert.Equal("Aetherium.Placement", log.GetProperty("category").GetString());
        Assert.Equal("vm-1", log.GetProperty("attributes").GetProperty("VmId").GetString());
        Assert.Equal(traceId, log.GetProperty("trace_id").GetString());
        Assert.Empty((await client.GetJsonAsync($"/api/logs?resource={service}&level=Error")).GetProperty("logs").EnumerateArray());

        // Metrics: both instruments listed; the counter's rate adds up to its increase, the histogram gives percentiles.
        var instruments = (await client.GetJsonAsync($"/api/metrics?service={service}")).GetProperty("instruments").EnumerateArray()
            .ToDictionary(i => i.GetProperty("name").GetString()!, i => i);
        Assert.Equal("sum", instruments["test.vms.placed"].GetProperty("kind").GetString());
        Assert.Equal("histogram", instruments["test.placement.duration"].GetProperty("kind").GetString());
        var counter = await client.GetJsonAsync($"/api/metrics/chart?name=test.vms.placed&service={service}&window=60&step=5");
        var increase = counter.GetProperty("points").EnumerateArray().Sum(p => p.TryGetProperty("rate", out var r) ? r.GetDouble() * 5 : 0);
        Assert.Equal(7, increase, precision: 6);
        var histogram = await client.GetJsonAsync($"/api/metrics/chart?name=test.placement.duration&service={service}&window=60&step=60");
        var withData = Assert.Single(histogram.GetProperty("points").EnumerateArray(), p => p.TryGetProperty("p50", out _));
        Assert.InRange(withData.GetProperty("p50").GetDouble(), 25, 50); // two of the three values lie in (25, 50]
        Assert.InRange(withData.GetProperty("p99").GetDouble(), withData.GetProperty("p50").GetDouble(), 50);
        Assert.Equal(3, withData.GetProperty("rate").GetDouble() * 60, precision: 6);
    }

    [Fact]
    public async Task Telemetry_without_the_api_key_is_refused_and_not_stored()
    {
        var (app, _) = await DashboardClient.StartEmptyAppAsync();
        await using var running = app;
        var receiver = app.OtlpReceiver!;
        var source = new ActivitySource("Aetherium.Tests.NoKey");
        foreach (var protocol in new[] { "grpc", "http/protobuf" })
        {
            using var tracing = Sdk.CreateTracerProviderBuilder().SetResourceBuilder(Resource("no-key")).AddSource(source.Name)
                .AddOtlpExporter(o => Configure(o, receiver, protocol, "traces", key: "not-the-key")).Build();
            source.StartActivity("refused")!.Dispose();
            tracing.ForceFlush(10_000);
        }
        using var http = new HttpClient();
        using var body = new ByteArrayContent([]);
        body.Headers.ContentType = new("application/x-protobuf");
        using var raw = await http.PostAsync($"{receiver.HttpEndpoint}/v1/traces", body);

        Assert.Equal(HttpStatusCode.Unauthorized, raw.StatusCode);
        Assert.Equal(0, app.Telemetry!.Spans.Count);
    }

    [Fact]
    public async Task A_body_that_is_not_protobuf_is_a_4xx_and_changes_nothing()
    {
        var (app, _) = await DashboardClient.StartEmptyAppAsync();
        await using var running = app;
        var receiver = app.OtlpReceiver!;
        using var http = new HttpClient();
        http.DefaultRequestHeaders.Add(Hosting.Telemetry.OtlpReceiver.ApiKeyHeader, receiver.ApiKey);

        using var json = await http.PostAsync($"{receiver.HttpEndpoint}/v1/traces", new StringContent("{}", System.Text.Encoding.UTF8, "application/json"));
        using var garbage = new ByteArrayContent([0xff, 0xff, 0xff, 0xff]);
        garbage.Headers.ContentType = new("application/x-protobuf");
        using var broken = await http.PostAsync($"{receiver.HttpEndpoint}/v1/logs", garbage);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, json.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, broken.StatusCode);
        Assert.Equal(0, app.Telemetry!.Spans.Count);
        Assert.Equal(0, app.Telemetry.Logs.Count);
    }
}
