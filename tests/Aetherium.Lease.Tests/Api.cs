using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Xunit;

namespace Aetherium.Lease.Tests;

/// <summary>The calls a tenant makes, answering raw JSON so the tests see the wire shape (snake_case).</summary>
public static class Api
{
    public static async Task<HttpResponseMessage> SendAsync(this HttpClient client, HttpMethod method, string url, object? body, string? token)
    {
        using var request = new HttpRequestMessage(method, url);
        request.Content = body switch
        {
            null => null,
            string raw => new StringContent(raw, Encoding.UTF8, "application/json"),
            _ => JsonContent.Create(body),
        };
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await client.SendAsync(request);
    }

    /// <summary>POST a body: an object (serialized as is, so give snake_case names) or a raw JSON string.</summary>
    public static Task<HttpResponseMessage> PostAsync(this HttpClient client, string url, object? body, string? token) =>
        client.SendAsync(HttpMethod.Post, url, body, token);

    public static Task<HttpResponseMessage> GetAsync(this HttpClient client, string url, string? token) =>
        client.SendAsync(HttpMethod.Get, url, null, token);

    public static async Task<JsonElement> JsonAsync(this HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    public static async Task<JsonElement> RentAsync(this HttpClient client, string token, object body) =>
        await (await client.PostAsync("/api/v1/leases", body, token)).JsonAsync(HttpStatusCode.Created);

    public static async Task<JsonElement> LeaseAsync(this HttpClient client, string token, Guid id) =>
        await (await client.GetAsync($"/api/v1/leases/{id}", token)).JsonAsync(HttpStatusCode.OK);

    public static Guid Id(this JsonElement e, string property = "id") => e.GetProperty(property).GetGuid();

    public static DateTimeOffset Time(this JsonElement e, string property) => e.GetProperty(property).GetDateTimeOffset();

    public static List<JsonElement> Items(this JsonElement e, string property) => e.GetProperty(property).EnumerateArray().ToList();

    public static string? Str(this JsonElement e, string property) =>
        e.TryGetProperty(property, out var p) && p.ValueKind != JsonValueKind.Null ? p.GetString() : null;
}
