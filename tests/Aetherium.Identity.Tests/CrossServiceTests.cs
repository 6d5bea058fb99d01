using System.Net;
using System.Security.Claims;
using Aetherium.ServiceDefaults.Auth;
using Aetherium.Testing;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Aetherium.Identity.Tests;

/// <summary>
/// Identity on a real port and another service built only from ServiceDefaults, which finds identity
/// through <c>services:identity:http:0</c> and validates its tokens offline from the JWKS.
/// </summary>
public sealed class CrossServiceTests : IAsyncLifetime
{
    private IdentityFactory _identity = null!;
    private HttpClient _identityClient = null!;
    private WebApplication _other = null!;
    private HttpClient _otherClient = null!;

    public async Task InitializeAsync()
    {
        _identity = new IdentityFactory(await IdentityFactory.SettingsAsync("crossservice"));
        _identity.UseKestrel(0);
        _identity.StartServer();
        await _identity.WaitHealthyAsync();
        _identityClient = new HttpClient { BaseAddress = new Uri(_identity.ListeningUrl) };

        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["services:identity:http:0"] = _identity.ListeningUrl });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.AddServiceDefaults();
        _other = builder.Build();
        _other.MapDefaultEndpoints();
        _other.MapGet("/api/v1/probe", [Authorize] (ClaimsPrincipal user) =>
            TypedResults.Ok(new { user_id = user.UserId(), organization_id = user.OrganizationId(), admin = user.IsAdmin(), name = user.Identity!.Name }));
        _other.MapGet("/api/v1/admin-probe", () => TypedResults.Ok()).RequireAuthorization(AuthenticationSetup.AdminPolicy);
        await _other.StartAsync();
        _otherClient = _other.GetTestClient();
    }

    public async Task DisposeAsync()
    {
        await _other.DisposeAsync();
        _identityClient.Dispose();
        await _identity.DisposeAsync();
    }

    [Fact]
    public async Task A_token_from_identity_is_accepted_by_another_service_and_a_foreign_one_is_not()
    {
        Assert.StartsWith("http://127.0.0.1:", _identity.ListeningUrl);
        var name = Api.Unique("pia");
        var signup = await _identityClient.SignupAsync(name);
        var token = (await _identityClient.LoginAsync(name)).AccessToken;

        var probe = await (await _otherClient.GetAsync("/api/v1/probe", token)).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(signup.GetProperty("user_id").GetGuid(), probe.GetProperty("user_id").GetGuid());
        Assert.Equal(signup.GetProperty("organization_id").GetGuid(), probe.GetProperty("organization_id").GetGuid());
        Assert.Equal(name, probe.GetProperty("name").GetString());
        Assert.False(probe.GetProperty("admin").GetBoolean());
        Assert.Equal(HttpStatusCode.Forbidden, (await _otherClient.GetAsync("/api/v1/admin-probe", token)).StatusCode);
        var admin = (await _identityClient.LoginAdminAsync()).AccessToken;
        Assert.Equal(HttpStatusCode.OK, (await _otherClient.GetAsync("/api/v1/admin-probe", admin)).StatusCode);

        var userId = signup.GetProperty("user_id").GetGuid();
        var org = signup.GetProperty("organization_id").GetGuid();
        var kid = Api.Header(token).GetProperty("kid").GetString()!;
        Assert.Equal(HttpStatusCode.Unauthorized, (await _otherClient.GetAsync("/api/v1/probe", Forged.WithForeignKey(kid, userId, org, ["user"]))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _otherClient.GetAsync("/api/v1/probe", TestTokens.User(org, userId))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _otherClient.GetAsync("/api/v1/probe", Forged.WithAdminRole(token))).StatusCode);
        var expired = await Forged.ExpiredAsync(_identity.Services, userId, org, TimeSpan.FromMinutes(2));
        Assert.Equal(HttpStatusCode.Unauthorized, (await _otherClient.GetAsync("/api/v1/probe", expired)).StatusCode);
    }

    [Fact]
    public async Task After_a_key_rotation_tokens_of_the_new_key_and_the_old_key_are_accepted()
    {
        var admin = (await _identityClient.LoginAdminAsync()).AccessToken;
        var before = Api.Header(admin).GetProperty("kid").GetString();
        Assert.Equal(HttpStatusCode.OK, (await _otherClient.GetAsync("/api/v1/admin-probe", admin)).StatusCode); // the other service has read the JWKS

        var name = Api.Unique("quinn");
        await _identityClient.SignupAsync(name);
        var user = (await _identityClient.LoginAsync(name)).AccessToken;
        Assert.Equal(HttpStatusCode.Forbidden, (await _identityClient.PostAsync("/api/v1/auth/keys/rotate", null, user)).StatusCode);

        var rotated = await (await _identityClient.PostAsync("/api/v1/auth/keys/rotate", null, admin)).JsonAsync(HttpStatusCode.OK);
        var after = rotated.GetProperty("key_id").GetString();
        Assert.NotEqual(before, after);

        var fresh = (await _identityClient.LoginAsync(name)).AccessToken;
        Assert.Equal(after, Api.Header(fresh).GetProperty("kid").GetString());
        await (await _otherClient.GetAsync("/api/v1/probe", fresh)).JsonAsync(HttpStatusCode.OK);
        await (await _identityClient.GetAsync("/api/v1/users/me", fresh)).JsonAsync(HttpStatusCode.OK);
        // Tokens signed before the rotation stay valid until they expire.
        Assert.Equal(HttpStatusCode.OK, (await _otherClient.GetAsync("/api/v1/admin-probe", admin)).StatusCode);

        // Twice more at once: now the signing key was never published before it signed. The other service
        // refetches the JWKS on the unknown kid, within ServiceDefaults' refresh interval (10 s).
        await _identityClient.PostAsync("/api/v1/auth/keys/rotate", null, admin);
        await _identityClient.PostAsync("/api/v1/auth/keys/rotate", null, admin);
        var newest = (await _identityClient.LoginAsync(name)).AccessToken;
        await Eventually.TrueAsync(async () => (await _otherClient.GetAsync("/api/v1/probe", newest)).StatusCode == HttpStatusCode.OK,
            TimeSpan.FromSeconds(20), "the other service learns a key it had never seen");
    }

    [Fact]
    public async Task The_discovery_document_points_at_a_working_jwks()
    {
        var discovery = await (await _identityClient.GetAsync("/.well-known/openid-configuration", token: null)).JsonAsync(HttpStatusCode.OK);
        Assert.Equal("aetherium", discovery.GetProperty("issuer").GetString());
        var jwksUri = discovery.GetProperty("jwks_uri").GetString()!;
        Assert.Equal(_identity.ListeningUrl.TrimEnd('/') + "/.well-known/jwks.json", jwksUri);
        var jwks = await (await _identityClient.GetAsync(jwksUri, token: null)).JsonAsync(HttpStatusCode.OK);
        var keys = jwks.GetProperty("keys").EnumerateArray().ToList();
        Assert.True(keys.Count >= 2, "the signing key and the next one are published");
        Assert.All(keys, k =>
        {
            Assert.Equal(("EC", "P-256", "ES256"), (k.GetProperty("kty").GetString(), k.GetProperty("crv").GetString(), k.GetProperty("alg").GetString()));
            Assert.False(k.TryGetProperty("d", out _), "no private part is ever served");
        });
    }
}
