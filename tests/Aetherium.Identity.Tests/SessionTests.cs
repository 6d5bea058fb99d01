using System.Net;
using Aetherium.Testing;
using Xunit;

namespace Aetherium.Identity.Tests;

public sealed class SessionTests(IdentityFixture fx) : IClassFixture<IdentityFixture>
{
    private HttpClient Client => fx.Client;

    [Fact]
    public async Task Login_answers_a_signed_access_token_with_the_users_claims_and_a_refresh_token()
    {
        var name = Api.Unique("kim");
        var signup = await Client.SignupAsync(name);
        var body = await (await Client.PostAsync("/api/v1/auth/login", new { username = name, password = "correct horse battery" })).JsonAsync(HttpStatusCode.OK);

        Assert.Equal("Bearer", body.GetProperty("token_type").GetString());
        Assert.Equal(900, body.GetProperty("expires_in").GetInt32());
        Assert.False(string.IsNullOrEmpty(body.GetProperty("refresh_token").GetString()));
        var jwt = body.GetProperty("access_token").GetString()!;
        var header = Api.Header(jwt);
        Assert.Equal("ES256", header.GetProperty("alg").GetString());
        var jwks = await (await Client.GetAsync("/.well-known/jwks.json", token: null)).JsonAsync(HttpStatusCode.OK);
        Assert.Contains(header.GetProperty("kid").GetString(), jwks.GetProperty("keys").EnumerateArray().Select(k => k.GetProperty("kid").GetString()));

        var claims = Api.Payload(jwt);
        Assert.Equal(signup.GetProperty("user_id").GetGuid().ToString(), claims.GetProperty("sub").GetString());
        Assert.Equal(signup.GetProperty("organization_id").GetGuid().ToString(), claims.GetProperty("org").GetString());
        Assert.Equal(name, claims.GetProperty("name").GetString());
        Assert.Equal("user", claims.GetProperty("role").GetString());
        Assert.Equal("aetherium", claims.GetProperty("iss").GetString());
        Assert.Equal("aetherium", claims.GetProperty("aud").GetString());
        Assert.True(Guid.TryParse(claims.GetProperty("jti").GetString(), out _));
    }

    [Fact]
    public async Task Wrong_or_missing_credentials_are_refused()
    {
        var name = Api.Unique("leo");
        await Client.SignupAsync(name);
        await (await Client.PostAsync("/api/v1/auth/login", new { username = name, password = "not the password" })).JsonAsync(HttpStatusCode.Unauthorized);
        await (await Client.PostAsync("/api/v1/auth/login", new { username = Api.Unique("nobody"), password = "whatever it is" })).JsonAsync(HttpStatusCode.Unauthorized);
        var missing = await (await Client.PostAsync("/api/v1/auth/login", new { username = name })).JsonAsync(HttpStatusCode.BadRequest);
        Assert.True(missing.GetProperty("errors").TryGetProperty("password", out _));
    }

    [Fact]
    public async Task A_username_no_account_can_have_is_a_400_naming_it_not_a_500()
    {
        foreach (var username in new[] { "a\u0000b", "ab", new string('a', 65), "a b c", "bob\u001b[31m" })
        {
            var problem = await (await Client.PostAsync("/api/v1/auth/login", new { username, password = "whatever it is" })).JsonAsync(HttpStatusCode.BadRequest);
            Assert.True(problem.GetProperty("errors").TryGetProperty("username", out _), username);
        }
        var tooLong = await (await Client.PostAsync("/api/v1/auth/login", new { username = "someone", password = new string('p', 257) })).JsonAsync(HttpStatusCode.BadRequest);
        Assert.True(tooLong.GetProperty("errors").TryGetProperty("password", out _));
        // Blanks around the name and its case still do not matter.
        var name = Api.Unique("nina");
        await Client.SignupAsync(name);
        await Client.LoginAsync($"  {name.ToUpperInvariant()} ");
    }

    [Fact]
    public async Task Refresh_rotates_the_token_and_a_reused_one_ends_the_session()
    {
        var name = Api.Unique("mia");
        await Client.SignupAsync(name);
        var first = await Client.LoginAsync(name);

        var second = await (await Client.PostAsync("/api/v1/auth/refresh", new { refresh_token = first.RefreshToken })).JsonAsync(HttpStatusCode.OK);
        var secondRefresh = second.GetProperty("refresh_token").GetString()!;
        Assert.NotEqual(first.RefreshToken, secondRefresh);
        await (await Client.GetAsync("/api/v1/users/me", second.GetProperty("access_token").GetString())).JsonAsync(HttpStatusCode.OK);

        var third = await (await Client.PostAsync("/api/v1/auth/refresh", new { refresh_token = secondRefresh })).JsonAsync(HttpStatusCode.OK);
        var thirdRefresh = third.GetProperty("refresh_token").GetString()!;

        // The first token again: it was stolen or replayed. Refused, and the whole chain with it.
        var reuse = await (await Client.PostAsync("/api/v1/auth/refresh", new { refresh_token = first.RefreshToken })).JsonAsync(HttpStatusCode.Unauthorized);
        Assert.Contains("already used", reuse.GetProperty("detail").GetString());
        await (await Client.PostAsync("/api/v1/auth/refresh", new { refresh_token = thirdRefresh })).JsonAsync(HttpStatusCode.Unauthorized);

        // Another session of the same user is untouched.
        var other = await Client.LoginAsync(name);
        await (await Client.PostAsync("/api/v1/auth/refresh", new { refresh_token = other.RefreshToken })).JsonAsync(HttpStatusCode.OK);

        await (await Client.PostAsync("/api/v1/auth/refresh", new { refresh_token = "made-up" })).JsonAsync(HttpStatusCode.Unauthorized);
        await (await Client.PostAsync("/api/v1/auth/refresh", new { })).JsonAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Concurrent_refreshes_with_one_token_let_exactly_one_through()
    {
        var name = Api.Unique("nia");
        await Client.SignupAsync(name);
        var tokens = await Client.LoginAsync(name);
        var answers = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Client.PostAsync("/api/v1/auth/refresh", new { refresh_token = tokens.RefreshToken })));
        Assert.Single(answers, a => a.StatusCode == HttpStatusCode.OK);
        Assert.All(answers, a => Assert.Contains(a.StatusCode, new[] { HttpStatusCode.OK, HttpStatusCode.Unauthorized }));
    }

    [Fact]
    public async Task Logout_revokes_the_refresh_token()
    {
        var name = Api.Unique("ned");
        await Client.SignupAsync(name);
        var tokens = await Client.LoginAsync(name);

        var logout = await Client.PostAsync("/api/v1/auth/logout", new { refresh_token = tokens.RefreshToken });
        Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
        var refused = await (await Client.PostAsync("/api/v1/auth/refresh", new { refresh_token = tokens.RefreshToken })).JsonAsync(HttpStatusCode.Unauthorized);
        Assert.Contains("ended", refused.GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.NoContent, (await Client.PostAsync("/api/v1/auth/logout", new { refresh_token = tokens.RefreshToken })).StatusCode);
    }

    [Fact]
    public async Task Expired_tampered_unsigned_and_foreign_tokens_are_refused()
    {
        var name = Api.Unique("olga");
        var signup = await Client.SignupAsync(name);
        var userId = signup.GetProperty("user_id").GetGuid();
        var org = signup.GetProperty("organization_id").GetGuid();
        var valid = (await Client.LoginAsync(name)).AccessToken;
        await (await Client.GetAsync("/api/v1/users/me", valid)).JsonAsync(HttpStatusCode.OK);

        var expired = await Forged.ExpiredAsync(fx.Factory.Services, userId, org, TimeSpan.FromMinutes(2));
        var expiredAnswer = await Client.GetAsync("/api/v1/users/me", expired);
        Assert.Equal(HttpStatusCode.Unauthorized, expiredAnswer.StatusCode);
        Assert.Contains("expired", expiredAnswer.Headers.WwwAuthenticate.ToString());

        Assert.Equal(HttpStatusCode.Unauthorized, (await Client.GetAsync("/api/v1/users", Forged.WithAdminRole(valid))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Client.GetAsync("/api/v1/users/me", Forged.Unsigned(userId, org))).StatusCode);
        var kid = Api.Header(valid).GetProperty("kid").GetString()!;
        Assert.Equal(HttpStatusCode.Unauthorized, (await Client.GetAsync("/api/v1/users", Forged.WithForeignKey(kid, userId, org, ["admin"]))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Client.GetAsync("/api/v1/users/me", TestTokens.User(org, userId))).StatusCode);
    }
}
