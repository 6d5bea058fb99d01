using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Aetherium.Testing.System;

/// <summary>What a user does with curl, as calls: sign up, sign in, read JSON.</summary>
public static class Api
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public sealed record Tenant(string Username, string Password, Guid UserId, Guid OrganizationId, string AccessToken);

    /// <summary>Signs a new user up (own organisation) and in.</summary>
    public static async Task<Tenant> NewTenantAsync(HttpClient gateway, string? prefix = null)
    {
        var username = $"{prefix ?? "tenant"}-{Guid.NewGuid():N}"[..24];
        const string password = "correct-horse-battery";
        using var signup = await gateway.PostAsJsonAsync("/api/v1/auth/signup", new { username, password }, Json);
        var created = await ReadAsync(signup, 201);
        var token = await LoginAsync(gateway, username, password);
        return new Tenant(username, password, Guid.Parse(created["user_id"]!.GetValue<string>()), Guid.Parse(created["organization_id"]!.GetValue<string>()), token);
    }

    public static async Task<string> LoginAsync(HttpClient gateway, string username, string password)
    {
        using var login = await gateway.PostAsJsonAsync("/api/v1/auth/login", new { username, password }, Json);
        return (await ReadAsync(login, 200))["access_token"]!.GetValue<string>();
    }

    public static Task<string> AdminTokenAsync(HttpClient gateway) => LoginAsync(gateway, "admin", SystemFixture.AdminPassword);

    /// <summary>The JSON body, after checking the status (the body is in the failure message).</summary>
    public static async Task<JsonObject> ReadAsync(HttpResponseMessage response, int expectedStatus)
    {
        var body = await response.Content.ReadAsStringAsync();
        if ((int)response.StatusCode != expectedStatus)
            throw new Xunit.Sdk.XunitException($"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}: expected {expectedStatus}, got {(int)response.StatusCode}: {body}");
        return body.Length == 0 ? new JsonObject() : JsonNode.Parse(body)!.AsObject();
    }
}
