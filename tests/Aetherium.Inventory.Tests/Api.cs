using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Aetherium.Contracts.Agent;
using Xunit;

namespace Aetherium.Inventory.Tests;

/// <summary>Small helpers over the public API, in its snake_case JSON.</summary>
public static class Api
{
    public static JsonSerializerOptions Json => AgentJson.Options;

    public static async Task<JsonObject> JsonAsync(this HttpResponseMessage response, HttpStatusCode expected = HttpStatusCode.OK)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"expected {(int)expected}, got {(int)response.StatusCode}: {body}");
        return JsonNode.Parse(body)!.AsObject();
    }

    public static Task<HttpResponseMessage> PostJsonAsync(this HttpClient client, string url, object body) =>
        client.PostAsJsonAsync(url, body, Json);

    public static Task<HttpResponseMessage> PutJsonAsync(this HttpClient client, string url, object body) =>
        client.PutAsJsonAsync(url, body, Json);

    public static async Task<Guid> CreateWorkerAsync(this HttpClient client, string name = "worker", string? zone = null,
        Dictionary<string, string>? labels = null, int? maxVms = null)
    {
        var created = await (await client.PostJsonAsync("/api/v1/workers", new { name, zone, labels, max_vms = maxVms })).JsonAsync(HttpStatusCode.Created);
        return Guid.Parse((string)created["id"]!);
    }

    public static async Task<string> TokenAsync(this HttpClient client, Guid workerId)
    {
        var issued = await (await client.PostJsonAsync($"/api/v1/workers/{workerId}/token", new { })).JsonAsync();
        return (string)issued["token"]!;
    }

    public static async Task<JsonObject> WorkerAsync(this HttpClient client, Guid workerId) =>
        await (await client.GetAsync($"/api/v1/workers/{workerId}")).JsonAsync();

    public static async Task<string> StatusAsync(this HttpClient client, Guid workerId) => (string)(await client.WorkerAsync(workerId))["status"]!;

    /// <summary>The ProblemDetails of a refused request, checked for its status.</summary>
    public static async Task<JsonObject> ProblemAsync(this HttpResponseMessage response, HttpStatusCode expected)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"expected {(int)expected}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonNode.Parse(body)!.AsObject();
    }
}

public static class Enrollment
{
    /// <summary>A worker created through the API and a worker token issued for it (seed 004 steps 1–2).</summary>
    public static async Task<(Guid WorkerId, string Token, Guid TokenId)> EnrollAsync(this HttpClient api, string name = "worker", string? zone = null)
    {
        var id = await api.CreateWorkerAsync(name, zone);
        var issued = await (await api.PostJsonAsync($"/api/v1/workers/{id}/token", new { })).JsonAsync();
        return (id, (string)issued["token"]!, Guid.Parse((string)issued["token_id"]!));
    }
}
