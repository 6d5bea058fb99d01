using System.Net;
using System.Net.Http.Json;
using System.Security.Claims;
using System.Security.Cryptography;
using Aetherium.AppHost;
using Aetherium.Testing.System;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Xunit;

namespace Aetherium.Gateway.Tests;

/// <summary>The gateway's own behaviour, against the real services behind it.</summary>
[Collection(GatewayCollection.Name)]
public sealed class EdgeTests(GatewayFixture system)
{
    private static void AssertProblem(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Public_routes_are_open_and_the_rest_need_a_valid_token()
    {
        using var anonymous = system.Gateway();
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/.well-known/openid-configuration")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/.well-known/jwks.json")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/api/v1/auth/wallet/challenge?address=0x70997970C51812dc3A010C7d01b50e0d17dc79C8")).StatusCode);
        AssertProblem(await anonymous.GetAsync("/api/v1/users/me"), HttpStatusCode.Unauthorized);

        var tenant = await Api.NewTenantAsync(anonymous);
        using var signedIn = system.Gateway(tenant.AccessToken);
        var me = await Api.ReadAsync(await signedIn.GetAsync("/api/v1/users/me"), 200);
        Assert.Equal(tenant.Username, me["username"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_forged_or_mangled_token_is_refused_at_the_edge_before_any_service()
    {
        using var anonymous = system.Gateway();
        var tenant = await Api.NewTenantAsync(anonymous);
        var forged = Forge(tenant.UserId, tenant.OrganizationId);
        var mangled = tenant.AccessToken[..^4] + (tenant.AccessToken.EndsWith("AAAA") ? "BBBB" : "AAAA");

        // With lease stopped, only the edge can answer: 401 for bad tokens, 503 once past the edge.
        await system.App.StopResourceAsync(AetheriumModel.Lease);
        try
        {
            foreach (var bad in new[] { forged, mangled, "not-a-jwt" })
            {
                using var client = system.Gateway(bad);
                AssertProblem(await client.GetAsync("/api/v1/leases"), HttpStatusCode.Unauthorized);
            }
            using var good = system.Gateway(tenant.AccessToken);
            var down = await good.GetAsync("/api/v1/leases");
            AssertProblem(down, HttpStatusCode.ServiceUnavailable);
            Assert.True(down.Headers.RetryAfter?.Delta > TimeSpan.Zero, "503 carries Retry-After");
            var problem = await Api.ReadAsync(down, 503);
            Assert.Equal("Service unavailable", problem["title"]!.GetValue<string>());
            Assert.Contains("lease", problem["detail"]!.GetValue<string>());
        }
        finally
        {
            await system.App.StartResourceAsync(AetheriumModel.Lease);
        }
        using var again = system.Gateway(tenant.AccessToken);
        await Testing.Eventually.TrueAsync(async () => (await again.GetAsync("/api/v1/leases")).StatusCode != HttpStatusCode.ServiceUnavailable,
            TimeSpan.FromSeconds(30), "lease is routed to again once it is back");
    }

    [Fact]
    public async Task An_unknown_route_is_a_problem_404_and_internal_routes_are_not_exposed()
    {
        using var client = system.Gateway();
        AssertProblem(await client.GetAsync("/api/v1/nothing-here"), HttpStatusCode.NotFound);
        AssertProblem(await client.PostAsJsonAsync("/internal/worker-tokens", new { worker_id = Guid.NewGuid() }), HttpStatusCode.NotFound);
        AssertProblem(await client.PostAsync("/connect/token", new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials" })), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Rate_limit_is_answered_429_with_Retry_After_per_client()
    {
        using var anonymous = system.Gateway();
        var greedy = await Api.NewTenantAsync(anonymous, "greedy");
        var other = await Api.NewTenantAsync(anonymous, "other");
        using var client = system.Gateway(greedy.AccessToken);
        HttpResponseMessage? limited = null;
        for (var i = 0; i < GatewayFixture.ApiPermits + 5 && limited is null; i++)
        {
            var r = await client.GetAsync("/api/v1/users/me");
            if (r.StatusCode == HttpStatusCode.TooManyRequests) limited = r;
        }
        Assert.NotNull(limited);
        AssertProblem(limited, HttpStatusCode.TooManyRequests);
        Assert.True(limited.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
        using var neighbour = system.Gateway(other.AccessToken);
        Assert.Equal(HttpStatusCode.OK, (await neighbour.GetAsync("/api/v1/users/me")).StatusCode);
    }

    [Fact]
    public async Task Health_reports_each_service_behind_the_gateway()
    {
        using var client = system.Gateway();
        var health = await Api.ReadAsync(await client.GetAsync("/health"), 200);
        var checks = health["checks"]!.AsObject();
        foreach (var service in AetheriumModel.Services)
            Assert.Equal("Healthy", checks[service]!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Correlation_id_is_echoed_or_made_and_an_odd_one_replaced()
    {
        using var client = system.Gateway();
        using var given = new HttpRequestMessage(HttpMethod.Get, "/.well-known/jwks.json") { Headers = { { "X-Correlation-Id", "order-4711" } } };
        Assert.Equal("order-4711", (await client.SendAsync(given)).Headers.GetValues("X-Correlation-Id").Single());
        var made = (await client.GetAsync("/.well-known/jwks.json")).Headers.GetValues("X-Correlation-Id").Single();
        Assert.Matches("^[0-9a-f]{32}$", made);
        using var odd = new HttpRequestMessage(HttpMethod.Get, "/.well-known/jwks.json") { Headers = { { "X-Correlation-Id", "<script>" } } };
        Assert.NotEqual("<script>", (await client.SendAsync(odd)).Headers.GetValues("X-Correlation-Id").Single());
    }

    [Fact]
    public async Task An_oversized_body_is_a_413_problem_with_or_without_a_declared_length()
    {
        // As curl sends a large body: after "Expect: 100-continue", so a refusal does not break the pipe mid-write.
        using var client = new HttpClient(new SocketsHttpHandler { Expect100ContinueTimeout = TimeSpan.FromSeconds(30) })
        { BaseAddress = system.Gateway().BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        // Streamed (no Content-Length): Kestrel's limit trips while the body is forwarded. Just over the limit,
        // so what is left to send when the 413 comes fits the socket's buffers.
        var over = new string('x', 1024 * 1024 + 16 * 1024);
        using (var streamed = new HttpRequestMessage(HttpMethod.Post, "/api/v1/auth/signup") { Content = JsonContent.Create(new { username = "big", password = over }) })
        {
            streamed.Headers.ExpectContinue = true;
            AssertProblem(await client.SendAsync(streamed), HttpStatusCode.RequestEntityTooLarge);
        }
        // Declared: refused before anything is forwarded (or sent).
        var huge = new string('x', 2 * 1024 * 1024);
        var declared = new ByteArrayContent(System.Text.Encoding.UTF8.GetBytes($"{{\"username\":\"big\",\"password\":\"{huge}\"}}"));
        declared.Headers.ContentType = new("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/auth/signup") { Content = declared };
        request.Headers.ExpectContinue = true;
        AssertProblem(await client.SendAsync(request), HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task Cors_preflight_allows_the_configured_origin_only()
    {
        using var client = system.Gateway();
        async Task<HttpResponseMessage> Preflight(string origin)
        {
            using var request = new HttpRequestMessage(HttpMethod.Options, "/api/v1/users/me");
            request.Headers.Add("Origin", origin);
            request.Headers.Add("Access-Control-Request-Method", "GET");
            request.Headers.Add("Access-Control-Request-Headers", "authorization");
            return await client.SendAsync(request);
        }
        var allowed = await Preflight("https://portal.example.com");
        Assert.Equal("https://portal.example.com", allowed.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.False((await Preflight("https://evil.example.com")).Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task With_a_certificate_it_serves_HTTPS()
    {
        using var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, cert, _, _) => cert?.Thumbprint == system.Certificate!.Thumbprint,
        };
        using var https = new HttpClient(handler) { BaseAddress = new Uri($"https://localhost:{system.HttpsPort}") };
        Assert.Equal(HttpStatusCode.OK, (await https.GetAsync("/.well-known/openid-configuration")).StatusCode);
    }

    /// <summary>A well-formed token with the right claims, signed by a key identity never published.</summary>
    private static string Forge(Guid user, Guid org)
    {
        var key = new ECDsaSecurityKey(ECDsa.Create(ECCurve.NamedCurves.nistP256)) { KeyId = "attacker" };
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = "aetherium", Audience = "aetherium", Expires = DateTime.UtcNow.AddHours(1),
            Subject = new ClaimsIdentity([new Claim("sub", user.ToString()), new Claim("org", org.ToString()), new Claim("role", "admin")]),
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.EcdsaSha256),
        });
    }
}
