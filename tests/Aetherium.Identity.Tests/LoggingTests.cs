using System.Net;
using Xunit;

namespace Aetherium.Identity.Tests;

public sealed class LoggingTests
{
    [Fact]
    public async Task No_password_token_secret_or_key_reaches_the_log()
    {
        await using var identity = await IdentityFactory.StartAsync("logging", new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = "Debug",
            ["Logging:LogLevel:Microsoft"] = "Debug",
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Debug",
            ["Logging:LogLevel:Microsoft.EntityFrameworkCore"] = "Debug",
        });
        var client = identity.CreateClient();
        var secrets = new List<string> { IdentityFactory.AdminPassword, IdentityFactory.InventorySecret };

        var name = Api.Unique("rita");
        const string password = "rita's very secret password";
        secrets.Add(password);
        await client.SignupAsync(name, password);
        await client.PostAsync("/api/v1/auth/login", new { username = name, password = "a wrong secret guess" });
        secrets.Add("a wrong secret guess");
        var tokens = await client.LoginAsync(name, password);
        secrets.AddRange([tokens.AccessToken, tokens.RefreshToken]);
        var refreshed = await (await client.PostAsync("/api/v1/auth/refresh", new { refresh_token = tokens.RefreshToken })).JsonAsync(HttpStatusCode.OK);
        secrets.Add(refreshed.GetProperty("refresh_token").GetString()!);
        await client.PostAsync("/api/v1/auth/refresh", new { refresh_token = tokens.RefreshToken }); // reuse, logged as a warning
        var invite = await (await client.PostAsync("/api/v1/organizations/invites", new { }, tokens.AccessToken)).JsonAsync(HttpStatusCode.Created);
        secrets.Add(invite.GetProperty("invite_code").GetString()!);
        var service = await client.ServiceTokenAsync();
        secrets.Add(service);
        var worker = await (await client.PostAsync("/internal/worker-tokens", new { worker_id = Guid.NewGuid(), organization_id = Guid.NewGuid() }, service)).JsonAsync(HttpStatusCode.OK);
        secrets.Add(worker.GetProperty("token").GetString()!);
        await client.GetAsync("/api/v1/users/me", Forged.WithAdminRole(tokens.AccessToken)); // a refused token is logged by JwtBearer
        secrets.Add(Forged.WithAdminRole(tokens.AccessToken));

        var lines = identity.Logs.Lines.ToList();
        Assert.True(lines.Count > 50, $"debug logging was on ({lines.Count} lines)");
        foreach (var secret in secrets)
        {
            // Whole secrets, and for tokens also their signature part alone.
            Assert.DoesNotContain(lines, l => l.Contains(secret, StringComparison.Ordinal));
            if (secret.Count(c => c == '.') == 2) Assert.DoesNotContain(lines, l => l.Contains(secret.Split('.')[2], StringComparison.Ordinal));
        }
    }
}
