using System.Diagnostics;
using Aetherium.Hosting;
using Aetherium.Hosting.Telemetry;
using Aetherium.Testing;
using Xunit;

namespace Aetherium.Gateway.Tests;

/// <summary>
/// Requests sent through the gateway with a trace of the test's own (a W3C traceparent), so the test can
/// find, in the telemetry the services sent the AppHost, which service served each one.
/// </summary>
public sealed class Traced(DistributedApplication app, HttpClient client)
{
    private readonly List<(string TraceId, string Path, string Service, string What)> _expected = [];

    public static string NewTraceParent(out string traceId)
    {
        traceId = ActivityTraceId.CreateRandom().ToHexString();
        return $"00-{traceId}-{ActivitySpanId.CreateRandom().ToHexString()}-01";
    }

    /// <summary>Sends the request and remembers that <paramref name="service"/> must have served it.</summary>
    public async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, string service)
    {
        request.Headers.Add("traceparent", NewTraceParent(out var traceId));
        var path = request.RequestUri!.OriginalString.Split('?')[0];
        _expected.Add((traceId, path, service, $"{request.Method} {request.RequestUri}"));
        return await client.SendAsync(request);
    }

    /// <summary>Remembers a request sent another way (a WebSocket) with <paramref name="traceParent"/> of <see cref="NewTraceParent"/>.</summary>
    public void Expect(string traceParent, string path, string service) =>
        _expected.Add((traceParent.Split('-')[1], path, service, $"GET {path}"));

    public Task<HttpResponseMessage> GetAsync(string path, string service) => SendAsync(new HttpRequestMessage(HttpMethod.Get, path), service);

    public Task<HttpResponseMessage> PostAsync(string path, object? body, string service) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Post, path) { Content = body is null ? null : System.Net.Http.Json.JsonContent.Create(body, options: Testing.System.Api.Json) }, service);

    /// <summary>
    /// Every request sent was forwarded by the gateway to the service named for it: in its trace, the server
    /// span of that path sits under one of the gateway's client spans, and belongs to that service only.
    /// </summary>
    public async Task AssertServedAsync()
    {
        var telemetry = app.Telemetry ?? throw new InvalidOperationException("The fixture collects no telemetry.");
        foreach (var (traceId, path, service, what) in _expected)
        {
            IEnumerable<StoredSpan> Forwarded(IReadOnlyList<StoredSpan> spans)
            {
                var gatewayCalls = spans.Where(x => x.Kind == "Client" && x.Source.Service == "gateway").Select(x => x.SpanId).ToHashSet();
                return spans.Where(x => x.Kind == "Server" && x.ParentSpanId is { } parent && gatewayCalls.Contains(parent)
                                        && x.Attributes.Any(a => a.Key == "url.path" && a.Value == path));
            }
            var trace = await Eventually.GetAsync(() => Task.FromResult(telemetry.Spans.Trace(traceId)), s => Forwarded(s).Any(),
                TimeSpan.FromSeconds(30), $"{what}: the span of the service the gateway forwarded it to arrives over OTLP");
            Assert.All(Forwarded(trace), s => Assert.True(s.Source.Service == service, $"{what} was served by {s.Source.Service}, not {service}"));
        }
    }
}
