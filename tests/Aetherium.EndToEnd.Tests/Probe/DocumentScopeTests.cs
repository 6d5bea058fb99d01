using Xunit;

namespace Aetherium.EndToEnd.Tests.Probe;

/// <summary>
/// Issue 22, defect 10: the aggregated OpenAPI document describes the API the gateway serves, not the services'
/// internal operations (/internal/worker-tokens, /connect/token), which the gateway does not route.
/// </summary>
[Collection(ProbeFixture.Collection)]
public sealed class DocumentScopeTests(ProbeFixture system)
{
    [Fact]
    public async Task Every_operation_of_the_document_is_routed_by_the_gateway_and_internal_ones_are_left_out()
    {
        var gateway = system.Gateway();
        var operations = await Operation.ReadAsync(gateway);
        Assert.DoesNotContain(operations, o => o.Template.StartsWith("/internal/", StringComparison.Ordinal) || o.Template == "/connect/token");

        // Sent without a token or a body: whatever the answer, it must come from a route, not from the gateway's
        // catch-all ("No route for ...").
        var unrouted = new List<string>();
        foreach (var operation in operations)
        {
            using var request = new HttpRequestMessage(new HttpMethod(operation.Method), operation.Path(Guid.NewGuid().ToString()));
            using var response = await gateway.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            if (body.Contains("No route for", StringComparison.Ordinal)) unrouted.Add($"{operation.Key}: {(int)response.StatusCode} {body}");
        }
        Assert.True(unrouted.Count == 0, "listed but not routed by the gateway:\n" + string.Join('\n', unrouted));

        // The internal operations really are unreachable through the gateway.
        using var internalCall = await gateway.PostAsync("/internal/worker-tokens", Sender.Json("{}"));
        Assert.Equal(404, (int)internalCall.StatusCode);
        using var tokenCall = await gateway.PostAsync("/connect/token", new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials" }));
        Assert.Equal(404, (int)tokenCall.StatusCode);
    }
}
