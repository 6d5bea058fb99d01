using System.Net;
using System.Net.Http.Json;
using Aetherium.Testing;
using Xunit;

namespace Aetherium.Gateway.Tests;

/// <summary>
/// The gateway in-process (no services behind it: what passes the edge gets a 503), with a sign-in limit
/// of three a minute per client address and tokens it trusts.
/// </summary>
public sealed class AuthRateLimitTests : IAsyncLifetime
{
    // Any class of the gateway's assembly names its entry point ("Program" is also the AppHost's).
    private ServiceFactory<Aetherium.Gateway.Live.LiveFanOut> _gateway = null!;

    public async Task InitializeAsync() => _gateway = await ServiceFactory<Aetherium.Gateway.Live.LiveFanOut>.CreateAsync("gatewaydb", "authlimit", new Dictionary<string, string?>
    {
        ["Gateway:RateLimits:auth:PermitLimit"] = "3",
        ["Gateway:RateLimits:auth:WindowSeconds"] = "60",
    });

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    private async Task<HttpStatusCode> SendAsync(HttpMethod method, string url, string? token)
    {
        using var client = _gateway.CreateClient();
        using var request = new HttpRequestMessage(method, url);
        if (method == HttpMethod.Post) request.Content = JsonContent.Create(new { username = "victim", password = "a guess" });
        if (token is not null) request.Headers.Authorization = new("Bearer", token);
        return (await client.SendAsync(request)).StatusCode;
    }

    private static string AnyUsersToken() => TestTokens.User(Guid.NewGuid());

    [Fact]
    public async Task A_valid_token_does_not_lift_the_per_address_limit_on_sign_in_routes()
    {
        // Three guesses, each carrying a different valid token (as a guesser holding accounts of its own would).
        for (var i = 0; i < 3; i++)
            Assert.NotEqual(HttpStatusCode.TooManyRequests, await SendAsync(HttpMethod.Post, "/api/v1/auth/login", AnyUsersToken()));

        // The address has used its permits: a fresh token, no token, or another sign-in route does not help.
        Assert.Equal(HttpStatusCode.TooManyRequests, await SendAsync(HttpMethod.Post, "/api/v1/auth/login", AnyUsersToken()));
        Assert.Equal(HttpStatusCode.TooManyRequests, await SendAsync(HttpMethod.Post, "/api/v1/auth/login", null));
        Assert.Equal(HttpStatusCode.TooManyRequests, await SendAsync(HttpMethod.Post, "/api/v1/auth/refresh", AnyUsersToken()));
        Assert.Equal(HttpStatusCode.TooManyRequests, await SendAsync(HttpMethod.Post, "/api/v1/auth/signup", AnyUsersToken()));
        Assert.Equal(HttpStatusCode.TooManyRequests, await SendAsync(HttpMethod.Post, "/api/v1/auth/wallet", AnyUsersToken()));

        // The API's own limit still counts per signed-in user.
        Assert.NotEqual(HttpStatusCode.TooManyRequests, await SendAsync(HttpMethod.Get, "/api/v1/users/me", AnyUsersToken()));
    }
}
