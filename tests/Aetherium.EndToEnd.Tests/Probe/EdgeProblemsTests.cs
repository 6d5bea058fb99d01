using System.Text.Json.Nodes;
using Aetherium.Testing.System;
using Xunit;

namespace Aetherium.EndToEnd.Tests.Probe;

/// <summary>
/// Issue 22, defect 9: refusals that come from Kestrel's limits or from SignalR, not from a route, are
/// ProblemDetails too — where the request reaches the application at all.
/// </summary>
[Collection(ProbeFixture.Collection)]
public sealed class EdgeProblemsTests(ProbeFixture system)
{
    [Fact]
    public async Task A_10_KB_query_is_a_414_and_40_KB_of_headers_a_431_both_problem_json()
    {
        var tenant = system.Gateway((await Api.NewTenantAsync(system.Gateway(), "limits")).AccessToken);
        await AssertProblemAsync(await tenant.GetAsync("/api/v1/workers?zone=" + new string('x', 10 * 1024)), 414);

        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/workers");
        for (var i = 0; i < 10; i++) request.Headers.Add($"X-Padding-{i}", new string('y', 4 * 1024));
        await AssertProblemAsync(await tenant.SendAsync(request), 431);
    }

    [Fact]
    public async Task SignalR_refusals_on_the_hub_are_problem_json()
    {
        var tenant = system.Gateway((await Api.NewTenantAsync(system.Gateway(), "hub")).AccessToken);
        var noConnection = await AssertProblemAsync(await tenant.GetAsync("/api/v1/hub"), 400);
        Assert.Contains("Connection ID required", noConnection["detail"]!.GetValue<string>());
        await AssertProblemAsync(await tenant.PostAsync($"/api/v1/hub?id={Guid.NewGuid():N}", new StringContent("x")), 404);
        await AssertProblemAsync(await system.Gateway().PostAsync("/api/v1/hub/negotiate?negotiateVersion=1", null), 401);

        // What succeeds still passes untouched.
        using var negotiate = await tenant.PostAsync("/api/v1/hub/negotiate?negotiateVersion=1", null);
        var body = await Api.ReadAsync(negotiate, 200);
        Assert.NotNull(body["connectionToken"]);
    }

    private static async Task<JsonObject> AssertProblemAsync(HttpResponseMessage response, int status)
    {
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync();
            Assert.True((int)response.StatusCode == status, $"expected {status}, got {(int)response.StatusCode} {response.Content.Headers.ContentType} {body}");
            Assert.True(response.Content.Headers.ContentType?.MediaType == "application/problem+json", $"{status} came as {response.Content.Headers.ContentType?.ToString() ?? "an empty body"}: {body}");
            var problem = JsonNode.Parse(body)!.AsObject();
            Assert.Equal(status, problem["status"]!.GetValue<int>());
            return problem;
        }
    }
}
