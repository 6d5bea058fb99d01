using System.Net;
using Xunit;

namespace Aetherium.Identity.Tests;

/// <summary>Identity on a real port, called from two client addresses (127.0.0.1 and 127.0.0.2).</summary>
public sealed class RateLimitTests : IAsyncLifetime
{
    private IdentityFactory _identity = null!;

    public async Task InitializeAsync()
    {
        _identity = new IdentityFactory(await IdentityFactory.SettingsAsync("ratelimit", new Dictionary<string, string?>
        {
            ["RateLimits:Auth:PermitLimit"] = "3",
            ["RateLimits:Auth:Window"] = "00:01:00",
        }));
        _identity.UseKestrel(0);
        _identity.StartServer();
        await _identity.WaitHealthyAsync();
    }

    public async Task DisposeAsync() => await _identity.DisposeAsync();

    private HttpClient ClientFrom(string source) => ClientAddress.From(_identity.ListeningUrl, source);

    private static Task<HttpResponseMessage> WrongLogin(HttpClient client) =>
        client.PostAsync("/api/v1/auth/login", new { username = "admin", password = "wrong password" });

    [Fact]
    public async Task The_fourth_attempt_in_a_window_from_one_address_is_429_with_Retry_After()
    {
        using var first = ClientFrom("127.0.0.1");
        for (var i = 0; i < 3; i++)
            await (await WrongLogin(first)).JsonAsync(HttpStatusCode.Unauthorized);

        var limited = await WrongLogin(first);
        var problem = await limited.JsonAsync(HttpStatusCode.TooManyRequests);
        Assert.Equal("Too many requests", problem.GetProperty("title").GetString());
        Assert.Equal("application/problem+json", limited.Content.Headers.ContentType?.MediaType);
        Assert.InRange(limited.Headers.RetryAfter!.Delta!.Value.TotalSeconds, 1, 60);
        // Signup, refresh, wallet and the token endpoint share the limit.
        Assert.Equal(HttpStatusCode.TooManyRequests, (await first.PostAsync("/api/v1/auth/refresh", new { refresh_token = "x" })).StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await first.PostAsync("/connect/token", new FormUrlEncodedContent([]))).StatusCode);
        // Endpoints outside sign-in are not limited.
        Assert.Equal(HttpStatusCode.OK, (await first.GetAsync("/.well-known/jwks.json")).StatusCode);

        // Another client address is not affected...
        using var second = ClientFrom("127.0.0.2");
        await (await WrongLogin(second)).JsonAsync(HttpStatusCode.Unauthorized);

        // ...nor is a client behind a trusted (loopback) proxy such as the gateway, which is counted by the address it forwards.
        using var viaGateway = new HttpRequestMessage(HttpMethod.Post, "/api/v1/auth/login") { Content = JsonContent(new { username = "admin", password = "wrong password" }) };
        viaGateway.Headers.Add("X-Forwarded-For", "203.0.113.7");
        Assert.Equal(HttpStatusCode.Unauthorized, (await first.SendAsync(viaGateway)).StatusCode);
    }

    private static HttpContent JsonContent(object body) => System.Net.Http.Json.JsonContent.Create(body);
}
