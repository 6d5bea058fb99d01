using System.Net;
using Aetherium.Contracts;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Aetherium.Identity.Tests;

public sealed class StartupTests
{
    [Fact]
    public async Task Two_replicas_starting_together_create_one_admin_and_one_signing_key()
    {
        var settings = await IdentityFactory.SettingsAsync("replicas");
        await using var a = new IdentityFactory(settings);
        await using var b = new IdentityFactory(settings);
        await Task.WhenAll(a.WaitHealthyAsync(), b.WaitHealthyAsync());

        await using var scope = a.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<Persistence.IdentityDbContext>();
        var admins = await db.Users.Where(u => u.Username == IdentityFactory.AdminUsername).ToListAsync();
        Assert.Single(admins);
        Assert.Equal([Roles.Admin, Roles.User], admins[0].Roles);
        Assert.Equal(1, await db.SigningKeys.CountAsync(k => k.ActivatedAt != null && k.RetiredAt == null));

        // A token from one replica works at the other.
        var token = (await a.CreateClient().LoginAdminAsync()).AccessToken;
        Assert.Equal(HttpStatusCode.OK, (await b.CreateClient().GetAsync("/api/v1/users", token)).StatusCode);
    }

    [Fact]
    public async Task Without_an_admin_password_no_admin_is_created()
    {
        await using var identity = await IdentityFactory.StartAsync("noadmin", new Dictionary<string, string?> { ["Admin:Password"] = null });
        var login = await identity.CreateClient().PostAsync("/api/v1/auth/login", new { username = "admin", password = IdentityFactory.AdminPassword });
        Assert.Equal(HttpStatusCode.Unauthorized, login.StatusCode);
    }

    [Fact]
    public async Task Signing_keys_rotate_on_their_own_when_due_and_tokens_keep_working()
    {
        await using var identity = await IdentityFactory.StartAsync("rotation", new Dictionary<string, string?> { ["Jwt:KeyRotationInterval"] = "00:00:02" });
        var client = identity.CreateClient();
        var first = (await client.LoginAdminAsync()).AccessToken;
        var kid = Api.Header(first).GetProperty("kid").GetString();

        var later = await Aetherium.Testing.Eventually.GetAsync(async () => (await client.LoginAdminAsync()).AccessToken,
            t => Api.Header(t).GetProperty("kid").GetString() != kid, TimeSpan.FromSeconds(20), "a new key signs after the interval");
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/users", later)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/users", first)).StatusCode);
    }
}
