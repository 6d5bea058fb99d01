using System.Net;
using Aetherium.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Aetherium.Identity.Tests;

/// <summary>
/// Issue 22, "no record can block a batch", for identity's signing keys: the key store loads every key a validator
/// must know at once; one whose stored key cannot be read (truncated by a hand fix or an old version) is left out
/// with a warning naming it, and signing in and validating tokens go on with the others.
/// </summary>
public sealed class PoisonKeyTests
{
    [Fact]
    public async Task A_signing_key_that_cannot_be_read_is_left_out_and_tokens_keep_working()
    {
        await using var identity = await IdentityFactory.StartAsync("poisonkey", new Dictionary<string, string?> { ["Jwt:KeyReloadInterval"] = "00:00:00.200" });
        var client = identity.CreateClient();
        var before = (await client.LoginAdminAsync()).AccessToken;

        await using (var scope = identity.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<Persistence.IdentityDbContext>();
            // A key retired a moment ago (validators still need it) whose PKCS#8 bytes are cut short.
            await db.Database.ExecuteSqlAsync($"""
                INSERT INTO signing_keys (id, algorithm, private_key, created_at, activated_at, retired_at)
                VALUES ('broken-key', 'ES256', '\x3081'::bytea, now() - interval '1 hour', now() - interval '1 hour', now())
                """);
        }
        // Keys are loaded again on use once the reload interval has passed: each sign-in here is such a use.
        await Eventually.TrueAsync(async () =>
        {
            using var login = await client.PostAsync("/api/v1/auth/login", new { username = IdentityFactory.AdminUsername, password = IdentityFactory.AdminPassword });
            return login.StatusCode == HttpStatusCode.OK && identity.Logs.Lines.Any(l => l.StartsWith("Warning") && l.Contains("Signing key broken-key left out"));
        }, TimeSpan.FromSeconds(15), "sign-in works after the key store loaded the keys again and named the broken one");

        var after = (await client.LoginAdminAsync()).AccessToken;
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/users", after)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/users", before)).StatusCode);
        Assert.Single(identity.Logs.Lines, l => l.StartsWith("Warning") && l.Contains("Signing key broken-key left out"));
    }
}
