using System.Net.Http.Json;
using Aetherium.AppHost;
using Aetherium.Hosting.Telemetry;
using Aetherium.Testing;
using Aetherium.Testing.System;
using Xunit;

namespace Aetherium.Gateway.Tests;

/// <summary>
/// The correlation id a client sends the gateway reaches the service behind it: in the telemetry the
/// service exported (what an operator sees in the dashboard), its request span carries the id and the log
/// line it wrote while serving the request carries it too.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class CorrelationTests(GatewayFixture system)
{
    private const string CorrelationTag = "correlation.id", CorrelationScope = "CorrelationId";

    [Fact]
    public async Task A_correlation_id_sent_to_the_gateway_is_in_the_service_s_span_and_log()
    {
        using var anonymous = system.Gateway();
        var tenant = await Api.NewTenantAsync(anonymous);
        using var http = system.Gateway(tenant.AccessToken);
        var correlationId = $"order-{Guid.NewGuid():N}";
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/leases")
        {
            Content = JsonContent.Create(new { duration_hours = 1, name = "correlated" }, options: Api.Json),
            Headers = { { "X-Correlation-Id", correlationId }, { "traceparent", Traced.NewTraceParent(out var traceId) } },
        };
        using var response = await http.SendAsync(request);
        var lease = await Api.ReadAsync(response, 201);
        Assert.Equal(correlationId, response.Headers.GetValues("X-Correlation-Id").Single());
        var telemetry = system.App.Telemetry!;

        // The lease service's request span, in the trace the gateway continued, tagged with the id.
        var spans = await Eventually.GetAsync(() => Task.FromResult(telemetry.Spans.Trace(traceId)),
            // The gateway's span ends after the service's and may come in a later export batch: wait for both.
            s => s.Any(x => x.Source.Service == AetheriumModel.Lease && x.Kind == "Server")
                && s.Any(x => x.Source.Service == AetheriumModel.Gateway && x.Kind == "Server"), TimeSpan.FromSeconds(30),
            "the lease service's and the gateway's spans arrive over OTLP");
        var served = spans.Single(x => x.Source.Service == AetheriumModel.Lease && x.Kind == "Server");
        Assert.Equal(correlationId, Tag(served.Attributes, CorrelationTag));
        var atGateway = spans.Single(x => x.Source.Service == AetheriumModel.Gateway && x.Kind == "Server");
        Assert.Equal(correlationId, Tag(atGateway.Attributes, CorrelationTag));

        // The line the lease service logged while renting, with the id from the request's logging scope.
        var leaseId = lease["id"]!.GetValue<string>();
        var logs = await Eventually.GetAsync(() => Task.FromResult(telemetry.Logs.Query(new LogQuery(Service: AetheriumModel.Lease, Text: leaseId))),
            l => l.Any(x => x.Message.Contains("rented")), TimeSpan.FromSeconds(30), "the lease service's log record arrives over OTLP");
        var rented = logs.First(x => x.Message.Contains("rented"));
        Assert.Equal(correlationId, Tag(rented.Attributes, CorrelationScope));
        Assert.Equal(traceId, rented.TraceId);
        Assert.Equal(served.SpanId, rented.SpanId);
    }

    [Fact]
    public async Task Without_one_the_gateway_makes_an_id_and_the_service_logs_that_same_id()
    {
        using var anonymous = system.Gateway();
        var tenant = await Api.NewTenantAsync(anonymous);
        using var http = system.Gateway(tenant.AccessToken);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/leases")
        {
            Content = JsonContent.Create(new { duration_hours = 1 }, options: Api.Json),
            Headers = { { "traceparent", Traced.NewTraceParent(out var traceId) } },
        };
        using var response = await http.SendAsync(request);
        var leaseId = (await Api.ReadAsync(response, 201))["id"]!.GetValue<string>();
        var made = response.Headers.GetValues("X-Correlation-Id").Single();

        var telemetry = system.App.Telemetry!;
        var spans = await Eventually.GetAsync(() => Task.FromResult(telemetry.Spans.Trace(traceId)),
            s => s.Any(x => x.Source.Service == AetheriumModel.Lease && x.Kind == "Server"), TimeSpan.FromSeconds(30));
        Assert.Equal(made, Tag(spans.Single(x => x.Source.Service == AetheriumModel.Lease && x.Kind == "Server").Attributes, CorrelationTag));
        var logs = await Eventually.GetAsync(() => Task.FromResult(telemetry.Logs.Query(new LogQuery(Service: AetheriumModel.Lease, Text: leaseId))),
            l => l.Any(x => x.Message.Contains("rented")), TimeSpan.FromSeconds(30));
        Assert.Equal(made, Tag(logs.First(x => x.Message.Contains("rented")).Attributes, CorrelationScope));
    }

    private static string? Tag(IEnumerable<Hosting.Telemetry.Attribute> attributes, string key) =>
        attributes.Where(a => a.Key == key).Select(a => a.Value).FirstOrDefault();
}
