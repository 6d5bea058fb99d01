using System.Net;
using Aetherium.Contracts;
using Xunit;

namespace Aetherium.Identity.Tests;

/// <summary>Role changes (own identity: these tests take the admin role away from the first admin).</summary>
public sealed class RoleTests(IdentityFixture fx) : IClassFixture<IdentityFixture>
{
    private HttpClient Client => fx.Client;

    [Fact]
    public async Task An_admin_grants_and_removes_roles_and_the_last_admin_stays()
    {
        var name = Api.Unique("judy");
        var id = (await Client.SignupAsync(name)).GetProperty("user_id").GetGuid();
        var admin = await Client.LoginAdminAsync();

        // A user cannot change roles, not even its own.
        var user = await Client.LoginAsync(name);
        Assert.Equal(HttpStatusCode.Forbidden, (await Client.SendAsync(HttpMethod.Put, $"/api/v1/users/{id}/roles", new { roles = new[] { "admin" } }, user.AccessToken)).StatusCode);

        var updated = await (await Client.SendAsync(HttpMethod.Put, $"/api/v1/users/{id}/roles", new { roles = new[] { "admin", "user" } }, admin.AccessToken)).JsonAsync(HttpStatusCode.OK);
        Assert.Equal([Roles.Admin, Roles.User], updated.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));

        // The new role is in the next token, and it opens admin endpoints.
        var promoted = await Client.LoginAsync(name);
        Assert.Equal(HttpStatusCode.OK, (await Client.GetAsync("/api/v1/users", promoted.AccessToken)).StatusCode);

        // Roles only people hold; unknown users.
        var invalid = await Client.SendAsync(HttpMethod.Put, $"/api/v1/users/{id}/roles", new { roles = new[] { "worker" } }, admin.AccessToken);
        Assert.True((await invalid.JsonAsync(HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("roles", out _));
        await (await Client.SendAsync(HttpMethod.Put, $"/api/v1/users/{id}/roles", new { roles = Array.Empty<string>() }, admin.AccessToken)).JsonAsync(HttpStatusCode.BadRequest);
        await (await Client.SendAsync(HttpMethod.Put, $"/api/v1/users/{Guid.NewGuid()}/roles", new { roles = new[] { "user" } }, admin.AccessToken)).JsonAsync(HttpStatusCode.NotFound);

        // The new admin demotes the first one; then it is the last admin and cannot demote itself.
        var list = await (await Client.GetAsync("/api/v1/users?limit=100", promoted.AccessToken)).JsonAsync(HttpStatusCode.OK);
        var firstAdmin = list.GetProperty("users").EnumerateArray().Single(u => u.GetProperty("username").GetString() == IdentityFactory.AdminUsername).GetProperty("user_id").GetGuid();
        await (await Client.SendAsync(HttpMethod.Put, $"/api/v1/users/{firstAdmin}/roles", new { roles = new[] { "user" } }, promoted.AccessToken)).JsonAsync(HttpStatusCode.OK);
        await (await Client.SendAsync(HttpMethod.Put, $"/api/v1/users/{id}/roles", new { roles = new[] { "user" } }, promoted.AccessToken)).JsonAsync(HttpStatusCode.Conflict);

        var demoted = await Client.LoginAdminAsync();
        Assert.Equal(HttpStatusCode.Forbidden, (await Client.GetAsync("/api/v1/users", demoted.AccessToken)).StatusCode);
    }
}
