using System.Net;
using Aetherium.Contracts;
using Aetherium.Testing;
using Microsoft.EntityFrameworkCore;
using Xunit;

namespace Aetherium.Identity.Tests;

public sealed class AccountTests(IdentityFixture fx) : IClassFixture<IdentityFixture>
{
    private HttpClient Client => fx.Client;

    [Fact]
    public async Task Signup_creates_the_user_and_its_own_organisation_and_announces_it()
    {
        await using var bus = await TestBus.StartAsync(fx.Factory.Settings.MessagingConnectionString, typeof(UserRegistered));
        var name = Api.Unique("alice");

        var response = await Client.PostAsync("/api/v1/auth/signup", new { username = name, password = "correct horse battery", email = "alice@example.com" });
        var body = await response.JsonAsync(HttpStatusCode.Created);

        Assert.Equal(name, body.GetProperty("username").GetString());
        var userId = body.GetProperty("user_id").GetGuid();
        var orgId = body.GetProperty("organization_id").GetGuid();
        Assert.NotEqual(Guid.Empty, userId);
        Assert.NotEqual(Guid.Empty, orgId);
        Assert.Equal(name, body.GetProperty("organization_name").GetString());
        var registered = await bus.WaitForAsync<UserRegistered>(e => e.UserId == userId);
        Assert.Equal((name, orgId), (registered.Username, registered.OrganizationId));
        Assert.Equal([Roles.User], registered.Roles);
    }

    [Fact]
    public async Task Invalid_signup_answers_field_errors_and_creates_nothing()
    {
        var response = await Client.PostAsync("/api/v1/auth/signup", new { username = "No Way!", password = "short", email = "not-an-email" });
        var problem = await response.JsonAsync(HttpStatusCode.BadRequest);
        var errors = problem.GetProperty("errors");
        Assert.True(errors.TryGetProperty("username", out _));
        Assert.True(errors.TryGetProperty("password", out _));
        Assert.True(errors.TryGetProperty("email", out _));
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);

        var reserved = await Client.PostAsync("/api/v1/auth/signup", new { username = "0x" + new string('a', 40), password = "long enough password" });
        Assert.Contains("reserved", (await reserved.JsonAsync(HttpStatusCode.BadRequest)).GetProperty("errors").GetProperty("username")[0].GetString());

        var malformed = await Client.PostAsync("/api/v1/auth/signup", new StringContent("{\"username\": 12", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.False(await fx.DbAsync(db => Task.FromResult(db.Users.Any(u => u.Username == "no way!"))));
    }

    [Fact]
    public async Task A_taken_username_is_a_conflict()
    {
        var name = Api.Unique("bob");
        await Client.SignupAsync(name);
        var again = await Client.PostAsync("/api/v1/auth/signup", new { username = name, password = "another password" });
        await again.JsonAsync(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task An_organisation_name_never_joins_an_existing_organisation()
    {
        var first = await Client.SignupAsync(Api.Unique("carol"), organization: "Acme");
        var second = await Client.SignupAsync(Api.Unique("mallory"), organization: "Acme");
        Assert.NotEqual(first.GetProperty("organization_id").GetGuid(), second.GetProperty("organization_id").GetGuid());
    }

    [Fact]
    public async Task An_invite_code_joins_its_organisation_once()
    {
        var owner = Api.Unique("dave");
        var org = (await Client.SignupAsync(owner, organization: "Dave's lab")).GetProperty("organization_id").GetGuid();
        var token = (await Client.LoginAsync(owner)).AccessToken;

        var invite = await (await Client.PostAsync("/api/v1/organizations/invites", new { }, token)).JsonAsync(HttpStatusCode.Created);
        var code = invite.GetProperty("invite_code").GetString()!;
        Assert.True(invite.GetProperty("expires_at").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddDays(6));

        var member = await Client.SignupAsync(Api.Unique("erin"), inviteCode: code);
        Assert.Equal(org, member.GetProperty("organization_id").GetGuid());

        var reused = await Client.PostAsync("/api/v1/auth/signup", new { username = Api.Unique("frank"), password = "correct horse battery", invite_code = code });
        Assert.True((await reused.JsonAsync(HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("invite_code", out _));

        var both = await Client.PostAsync("/api/v1/auth/signup", new { username = Api.Unique("gina"), password = "correct horse battery", invite_code = "x", organization = "y" });
        await both.JsonAsync(HttpStatusCode.BadRequest);

        var anonymous = await Client.PostAsync("/api/v1/organizations/invites", new { });
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }

    [Fact]
    public async Task An_invite_is_minted_from_no_body_or_an_object_and_never_from_a_bad_one()
    {
        var owner = Api.Unique("ivan");
        var org = (await Client.SignupAsync(owner)).GetProperty("organization_id").GetGuid();
        var token = (await Client.LoginAsync(owner)).AccessToken;
        Task<int> Invites() => fx.DbAsync(db => db.Invites.CountAsync(i => i.OrganizationId == org));

        foreach (var (name, body) in BadBodies.ForExpiresIn())
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/organizations/invites") { Content = BadBodies.Json(body) };
            request.Headers.Authorization = new("Bearer", token);
            var response = await Client.SendAsync(request);
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{name}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
        Assert.Equal(0, await Invites());

        // No body at all, or an empty object: the default lifetime; a lifetime in range: that one.
        using (var empty = new HttpRequestMessage(HttpMethod.Post, "/api/v1/organizations/invites"))
        {
            empty.Headers.Authorization = new("Bearer", token);
            var created = await (await Client.SendAsync(empty)).JsonAsync(HttpStatusCode.Created);
            Assert.True(created.GetProperty("expires_at").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddDays(6));
        }
        await (await Client.PostAsync("/api/v1/organizations/invites", new { }, token)).JsonAsync(HttpStatusCode.Created);
        var hour = await (await Client.PostAsync("/api/v1/organizations/invites", new { expires_in = 3600 }, token)).JsonAsync(HttpStatusCode.Created);
        Assert.True(hour.GetProperty("expires_at").GetDateTimeOffset() < DateTimeOffset.UtcNow.AddHours(2));
        Assert.Equal(3, await Invites());
    }

    [Fact]
    public async Task Signup_refuses_an_unknown_field_rather_than_found_an_organisation()
    {
        var name = Api.Unique("olga");
        var misspelt = await Client.PostAsync("/api/v1/auth/signup", new { username = name, password = "correct horse battery", invite_cod = "abc" });
        Assert.Equal(HttpStatusCode.BadRequest, misspelt.StatusCode);
        Assert.Equal("application/problem+json", misspelt.Content.Headers.ContentType?.MediaType);
        Assert.False(await fx.DbAsync(db => db.Users.AnyAsync(u => u.Username == name)));
    }

    [Fact]
    public async Task Users_me_describes_the_signed_in_user()
    {
        var name = Api.Unique("heidi");
        var signup = await Client.SignupAsync(name);
        var tokens = await Client.LoginAsync(name);

        var me = await (await Client.GetAsync("/api/v1/users/me", tokens.AccessToken)).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(signup.GetProperty("user_id").GetGuid(), me.GetProperty("user_id").GetGuid());
        Assert.Equal(name, me.GetProperty("username").GetString());
        Assert.Equal(signup.GetProperty("organization_id").GetGuid(), me.GetProperty("organization_id").GetGuid());
        Assert.Equal([Roles.User], me.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));

        var anonymous = await Client.GetAsync("/api/v1/users/me", token: null);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }

    [Fact]
    public async Task Only_admins_list_users_page_by_page()
    {
        var name = Api.Unique("ivan");
        await Client.SignupAsync(name);
        var user = await Client.LoginAsync(name);
        Assert.Equal(HttpStatusCode.Forbidden, (await Client.GetAsync("/api/v1/users", user.AccessToken)).StatusCode);

        var admin = await Client.LoginAdminAsync();
        var page = await (await Client.GetAsync("/api/v1/users?page=1&limit=2", admin.AccessToken)).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(2, page.GetProperty("users").GetArrayLength());
        Assert.True(page.GetProperty("total").GetInt32() >= 2);
        Assert.Equal((1, 2), (page.GetProperty("page").GetInt32(), page.GetProperty("limit").GetInt32()));
        var firstAdmin = page.GetProperty("users")[0];
        Assert.Equal(IdentityFactory.AdminUsername, firstAdmin.GetProperty("username").GetString());
        Assert.Contains(Roles.Admin, firstAdmin.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));

        await (await Client.GetAsync("/api/v1/users?limit=1000", admin.AccessToken)).JsonAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task The_OpenAPI_document_describes_the_endpoints()
    {
        var text = await (await Client.GetAsync("/openapi/v1.json")).Content.ReadAsStringAsync();
        foreach (var path in new[] { "/api/v1/auth/signup", "/api/v1/auth/login", "/api/v1/auth/wallet", "/api/v1/users/me", "/internal/worker-tokens" })
            Assert.Contains($"\"{path}\"", text);
    }
}
