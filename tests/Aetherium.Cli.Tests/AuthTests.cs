using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Aetherium.Testing.System;
using Xunit;

namespace Aetherium.Cli.Tests;

[Collection(CliSystem.Collection)]
public sealed class AuthTests(CliSystem system)
{
    private const UnixFileMode Owner = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    [Fact]
    public async Task Login_reads_the_password_from_stdin_keeps_the_session_in_a_0600_file_in_a_0700_directory_and_prints_no_token()
    {
        var tenant = await Api.NewTenantAsync(system.Gateway());
        using var shell = new Shell(system.GatewayUrl);

        var login = Expect.Success(await shell.RunWithInputAsync(tenant.Password + "\n", "login", "--username", tenant.Username));
        Assert.Contains($"Logged in to {system.GatewayUrl} as {tenant.Username}", login.Out);

        Assert.Equal(Owner, File.GetUnixFileMode(shell.CredentialsFile));
        Assert.Equal(Owner | UnixFileMode.UserExecute, File.GetUnixFileMode(shell.ConfigDirectory));
        var stored = JsonNode.Parse(File.ReadAllText(shell.CredentialsFile))!;
        Assert.Equal(system.GatewayUrl, stored["gateway"]!.GetValue<string>());
        Assert.Equal(tenant.Username, stored["username"]!.GetValue<string>());
        var access = stored["access_token"]!.GetValue<string>();
        var refresh = stored["refresh_token"]!.GetValue<string>();
        Assert.DoesNotContain(tenant.Password, File.ReadAllText(shell.CredentialsFile));
        foreach (var secret in new[] { access, refresh, tenant.Password })
        {
            Assert.DoesNotContain(secret, login.Out);
            Assert.DoesNotContain(secret, login.Err);
        }

        // The stored token is the user's: the API answers as them.
        var me = await Api.ReadAsync(await system.Gateway(access).GetAsync("/api/v1/users/me"), 200);
        Assert.Equal(tenant.UserId.ToString(), me["user_id"]!.GetValue<string>());

        // --json: the API's /users/me as it came, still without tokens.
        var again = Expect.Success(await shell.RunAsync("login", "--username", tenant.Username, "--password", tenant.Password, "--json"));
        Assert.Equal(tenant.Username, again.Json()["username"]!.GetValue<string>());
        Assert.Equal(tenant.OrganizationId.ToString(), again.Json()["organization_id"]!.GetValue<string>());
        Assert.DoesNotContain("access_token", again.Out);
    }

    [Fact]
    public async Task Logout_ends_the_session_at_the_gateway_and_removes_the_file_after_which_commands_say_to_log_in()
    {
        var (shell, _) = await system.TenantShellAsync();
        using var _shell = shell;
        var refresh = JsonNode.Parse(File.ReadAllText(shell.CredentialsFile))!["refresh_token"]!.GetValue<string>();

        var logout = Expect.Success(await shell.RunAsync("logout"));
        Assert.Contains($"Logged out of {system.GatewayUrl}", logout.Out);
        Assert.False(File.Exists(shell.CredentialsFile));

        // The session really ended: its refresh token is refused.
        var reuse = await system.Gateway().PostAsJsonAsync("/api/v1/auth/refresh", new { refresh_token = refresh });
        Assert.Equal(401, (int)reuse.StatusCode);

        Expect.Failure(await shell.RunAsync("vms", "list"), 3, "not logged in", "aetherium login");
        Assert.Contains("Not logged in.", Expect.Success(await shell.RunAsync("logout")).Out);
    }

    [Fact]
    public async Task A_wrong_password_is_one_line_from_the_API_and_stores_nothing()
    {
        var tenant = await Api.NewTenantAsync(system.Gateway());
        using var shell = new Shell(system.GatewayUrl);
        var error = Expect.Failure(await shell.RunWithInputAsync("not-the-password\n", "login", "-u", tenant.Username), 3, "(401)");
        Assert.DoesNotContain("not-the-password", error);
        Assert.False(File.Exists(shell.CredentialsFile));

        // No password at all (stdin empty, nothing to prompt at): said so, nothing sent.
        Expect.Failure(await shell.RunWithInputAsync("", "login", "-u", tenant.Username), 2, "no password given");
        Expect.Failure(await shell.RunWithInputAsync("", "login"), 2, "--username is required");
    }

    [Fact]
    public async Task An_expired_access_token_is_refreshed_before_the_request_and_a_refused_one_after_it()
    {
        var (shell, tenant) = await system.TenantShellAsync();
        using var _shell = shell;
        var first = JsonNode.Parse(File.ReadAllText(shell.CredentialsFile))!.AsObject();

        // Expired by the clock: refreshed first, the command works, the file holds the new pair (still 0600).
        first["expires_at"] = DateTimeOffset.UtcNow.AddMinutes(-1).ToString("O");
        File.WriteAllText(shell.CredentialsFile, first.ToJsonString());
        var list = Expect.Success(await shell.RunAsync("vms", "list", "--json"));
        Assert.Equal(0, list.Json()["total"]!.GetValue<int>());
        var second = JsonNode.Parse(File.ReadAllText(shell.CredentialsFile))!.AsObject();
        Assert.NotEqual(first["access_token"]!.GetValue<string>(), second["access_token"]!.GetValue<string>());
        Assert.NotEqual(first["refresh_token"]!.GetValue<string>(), second["refresh_token"]!.GetValue<string>());
        Assert.True(second["expires_at"]!.GetValue<DateTimeOffset>() > DateTimeOffset.UtcNow.AddMinutes(5));
        Assert.Equal(Owner, File.GetUnixFileMode(shell.CredentialsFile));

        // Refused by the gateway (401) though not expired by the clock: refreshed, and the request sent again.
        second["access_token"] = "not-a-token";
        File.WriteAllText(shell.CredentialsFile, second.ToJsonString());
        var me = Expect.Success(await shell.RunAsync("cluster", "stats", "--json"));
        Assert.Equal(0, me.Json()["total_workers"]!.GetValue<int>());
        var third = JsonNode.Parse(File.ReadAllText(shell.CredentialsFile))!.AsObject();
        Assert.NotEqual("not-a-token", third["access_token"]!.GetValue<string>());
        var who = await Api.ReadAsync(await system.Gateway(third["access_token"]!.GetValue<string>()).GetAsync("/api/v1/users/me"), 200);
        Assert.Equal(tenant.Username, who["username"]!.GetValue<string>());

        // A session that ended elsewhere (its refresh token spent): one line saying to log in again.
        await system.Gateway().PostAsJsonAsync("/api/v1/auth/logout", new { refresh_token = third["refresh_token"]!.GetValue<string>() });
        third["expires_at"] = DateTimeOffset.UtcNow.AddMinutes(-1).ToString("O");
        File.WriteAllText(shell.CredentialsFile, third.ToJsonString());
        Expect.Failure(await shell.RunAsync("vms", "list"), 3, "session has ended", "aetherium login");
    }

    [Fact]
    public async Task The_session_is_kept_for_the_gateway_it_was_made_with()
    {
        var (shell, _) = await system.TenantShellAsync();
        using var _shell = shell;
        // Without AETHERIUM_GATEWAY the stored gateway is used.
        shell.Environment.Remove("AETHERIUM_GATEWAY");
        Expect.Success(await shell.RunAsync("vms", "list"));
        // Another gateway is never sent these tokens.
        Expect.Failure(await shell.RunAsync("vms", "list", "--gateway", "http://127.0.0.1:9"), 3,
            "not logged in to http://127.0.0.1:9", $"the stored session is for {system.GatewayUrl}");
    }
}
