using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Aetherium.Hosting.Infrastructure;
using Aetherium.Hosting.Telemetry.Otlp.Collector.Logs;
using Aetherium.Hosting.Telemetry.Otlp.Collector.Metrics;
using Aetherium.Hosting.Telemetry.Otlp.Collector.Trace;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Aetherium.Hosting.Telemetry;

/// <summary>
/// The AppHost's OTLP receiver, as Aspire's dashboard has one: OTLP/gRPC (default port 18889) and
/// OTLP/HTTP with protobuf bodies (default 18890: <c>POST /v1/traces</c>, <c>/v1/metrics</c>, <c>/v1/logs</c>), on
/// loopback, each request checked for the <c>x-otlp-api-key</c> header. What it receives goes into <see cref="Store"/>.
/// </summary>
public sealed class OtlpReceiver : IAsyncDisposable
{
    public const string ApiKeyHeader = "x-otlp-api-key";
    public const int DefaultGrpcPort = 18889, DefaultHttpPort = 18890;
    private const int MaxMessageBytes = 32 * 1024 * 1024;
    private readonly byte[] _apiKeyHash;
    private WebApplication? _app;

    public OtlpReceiver(TelemetryStore store, int grpcPort, int httpPort, string apiKey)
    {
        Store = store;
        GrpcPort = grpcPort;
        HttpPort = httpPort;
        ApiKey = apiKey;
        _apiKeyHash = SHA256.HashData(Encoding.UTF8.GetBytes(apiKey));
    }

    public TelemetryStore Store { get; }
    public int GrpcPort { get; }
    public int HttpPort { get; }
    public string ApiKey { get; }
    public string GrpcEndpoint => $"http://localhost:{GrpcPort}";
    public string HttpEndpoint => $"http://localhost:{HttpPort}";
    /// <summary>What exporters put in OTEL_EXPORTER_OTLP_HEADERS.</summary>
    public string Headers => $"{ApiKeyHeader}={ApiKey}";

    /// <summary>
    /// Ports from <c>AppHost:OtlpGrpcUrl</c> / <c>AppHost:OtlpHttpUrl</c>, else Aspire's defaults (or free ones when
    /// those are taken, or when <paramref name="randomizePorts"/>); the key from <c>AppHost:OtlpApiKey</c>, else a new one per run.
    /// </summary>
    public static OtlpReceiver FromConfiguration(IConfiguration configuration, bool randomizePorts)
    {
        int Port(string key, int preferred) =>
            configuration[key] is { Length: > 0 } url ? new Uri(url).Port
            : randomizePorts ? Ports.Free()
            : IsFree(preferred) ? preferred : Ports.Free();
        var key = configuration["AppHost:OtlpApiKey"] is { Length: > 0 } k ? k : Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        return new OtlpReceiver(new TelemetryStore(TelemetryLimits.From(configuration)),
            Port("AppHost:OtlpGrpcUrl", DefaultGrpcPort), Port("AppHost:OtlpHttpUrl", DefaultHttpPort), key);
    }

    public async Task StartAsync(CancellationToken ct = default)
    {
        var builder = WebApplication.CreateSlimBuilder();
        // Its requests carry the API key: nothing of them is logged.
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = MaxMessageBytes;
            k.ListenLocalhost(GrpcPort, o => o.Protocols = HttpProtocols.Http2); // gRPC without TLS: HTTP/2 only
            k.ListenLocalhost(HttpPort, o => o.Protocols = HttpProtocols.Http1AndHttp2);
        });
        builder.Services.AddGrpc(o =>
        {
            o.MaxReceiveMessageSize = MaxMessageBytes;
            o.EnableDetailedErrors = false;
        });
        builder.Services.AddSingleton(Store);
        var app = builder.Build();
        app.Use(async (context, next) =>
        {
            if (!HasApiKey(context.Request))
            {
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                return;
            }
            await next(context);
        });
        app.MapGrpcService<TraceReceiver>();
        app.MapGrpcService<LogsReceiver>();
        app.MapGrpcService<MetricsReceiver>();
        app.MapPost("/v1/traces", (Delegate)(Task<IResult> (HttpContext c) => Http(c, ExportTraceServiceRequest.Parser, r => Store.Add(r), new ExportTraceServiceResponse())));
        app.MapPost("/v1/logs", (Delegate)(Task<IResult> (HttpContext c) => Http(c, ExportLogsServiceRequest.Parser, r => Store.Add(r), new ExportLogsServiceResponse())));
        app.MapPost("/v1/metrics", (Delegate)(Task<IResult> (HttpContext c) => Http(c, ExportMetricsServiceRequest.Parser, r => Store.Add(r), new ExportMetricsServiceResponse())));
        await app.StartAsync(ct);
        _app = app;
    }

    private bool HasApiKey(HttpRequest request) =>
        request.Headers[ApiKeyHeader] is [{ } given]
        && CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(given)), _apiKeyHash);

    /// <summary>OTLP/HTTP with a binary protobuf body (gzip allowed), answered in kind.</summary>
    private static async Task<IResult> Http<TRequest>(HttpContext context, MessageParser<TRequest> parser, Action<TRequest> store, IMessage response)
        where TRequest : IMessage<TRequest>
    {
        if (context.Request.ContentType?.Split(';')[0].Trim() != "application/x-protobuf")
            return TypedResults.Problem("OTLP/HTTP here takes protobuf bodies (Content-Type: application/x-protobuf).", statusCode: StatusCodes.Status415UnsupportedMediaType);
        var body = context.Request.Headers.ContentEncoding.ToString() switch
        {
            "gzip" => new GZipStream(context.Request.Body, CompressionMode.Decompress),
            "" or "identity" => context.Request.Body,
            var other => null,
        };
        if (body is null) return TypedResults.Problem("Content-Encoding must be gzip or none.", statusCode: StatusCodes.Status415UnsupportedMediaType);
        using var buffer = new MemoryStream();
        await body.CopyToAsync(buffer, context.RequestAborted);
        TRequest request;
        try { request = parser.ParseFrom(buffer.GetBuffer(), 0, (int)buffer.Length); }
        catch (InvalidProtocolBufferException ex) { return TypedResults.Problem("Not an OTLP export request: " + ex.Message, statusCode: StatusCodes.Status400BadRequest); }
        store(request);
        return TypedResults.Bytes(response.ToByteArray(), "application/x-protobuf");
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var l = new TcpListener(IPAddress.Loopback, port);
            l.Start();
            return true;
        }
        catch (SocketException) { return false; }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is null) return;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(timeout.Token);
        await _app.DisposeAsync();
        _app = null;
    }

    private sealed class TraceReceiver(TelemetryStore store) : TraceService.TraceServiceBase
    {
        public override Task<ExportTraceServiceResponse> Export(ExportTraceServiceRequest request, ServerCallContext context)
        {
            store.Add(request);
            return Task.FromResult(new ExportTraceServiceResponse());
        }
    }

    private sealed class LogsReceiver(TelemetryStore store) : LogsService.LogsServiceBase
    {
        public override Task<ExportLogsServiceResponse> Export(ExportLogsServiceRequest request, ServerCallContext context)
        {
            store.Add(request);
            return Task.FromResult(new ExportLogsServiceResponse());
        }
    }

    private sealed class MetricsReceiver(TelemetryStore store) : MetricsService.MetricsServiceBase
    {
        public override Task<ExportMetricsServiceResponse> Export(ExportMetricsServiceRequest request, ServerCallContext context)
        {
            store.Add(request);
            return Task.FromResult(new ExportMetricsServiceResponse());
        }
    }
}
