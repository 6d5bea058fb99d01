using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Xunit;

namespace Aetherium.Identity.Tests;

/// <summary>The calls a client makes, answering raw JSON so the tests see the wire shape (snake_case).</summary>
public static class Api
{
    public sealed record Tokens(string AccessToken, string RefreshToken);

    public static async Task<HttpResponseMessage> SendAsync(this HttpClient client, HttpMethod method, string url, object? body = null, string? token = null)
    {
        using var request = new HttpRequestMessage(method, url);
        if (body is not null) request.Content = JsonContent.Create(body);
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await client.SendAsync(request);
    }

    public static Task<HttpResponseMessage> PostAsync(this HttpClient client, string url, object? body, string? token = null) =>
        client.SendAsync(HttpMethod.Post, url, body ?? new { }, token);

    public static Task<HttpResponseMessage> GetAsync(this HttpClient client, string url, string? token) =>
        client.SendAsync(HttpMethod.Get, url, null, token);

    public static async Task<JsonElement> JsonAsync(this HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    public static async Task<JsonElement> SignupAsync(this HttpClient client, string username, string password = "correct horse battery", string? organization = null, string? inviteCode = null)
    {
        var response = await client.PostAsync("/api/v1/auth/signup", new { username, password, organization, invite_code = inviteCode });
        return await response.JsonAsync(HttpStatusCode.Created);
    }

    public static async Task<Tokens> LoginAsync(this HttpClient client, string username, string password = "correct horse battery")
    {
        var json = await (await client.PostAsync("/api/v1/auth/login", new { username, password })).JsonAsync(HttpStatusCode.OK);
        return new Tokens(json.GetProperty("access_token").GetString()!, json.GetProperty("refresh_token").GetString()!);
    }

    public static Task<Tokens> LoginAdminAsync(this HttpClient client) => client.LoginAsync(IdentityFactory.AdminUsername, IdentityFactory.AdminPassword);

    /// <summary>A service token from the client-credentials grant, as ServiceDefaults' ServiceTokenProvider asks for it.</summary>
    public static async Task<string> ServiceTokenAsync(this HttpClient client, string clientId = "inventory", string secret = IdentityFactory.InventorySecret)
    {
        var response = await client.PostAsync("/connect/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = clientId,
            ["client_secret"] = secret,
        }));
        return (await response.JsonAsync(HttpStatusCode.OK)).GetProperty("access_token").GetString()!;
    }

    public static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 13)];

    /// <summary>The claims of a JWT's payload (not validated: the tests look at what identity put there).</summary>
    public static JsonElement Payload(string jwt) => Part(jwt, 1);

    public static JsonElement Header(string jwt) => Part(jwt, 0);

    private static JsonElement Part(string jwt, int index) =>
        JsonDocument.Parse(System.Buffers.Text.Base64Url.DecodeFromChars(jwt.Split('.')[index])).RootElement.Clone();
}
