using Aetherium.Contracts.Agent;
using Aetherium.Testing.System;
using Xunit;

namespace Aetherium.Cli.Tests;

/// <summary>aetherium workers tokens ID and aetherium workers tokens revoke ID TOKEN_ID against the whole system.</summary>
[Collection(CliSystem.Collection)]
public sealed class TokenTests(CliSystem system)
{
    private const string Time = @"\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ";

    [Fact]
    public async Task The_tokens_command_lists_a_workers_tokens_with_their_last_use_and_revoke_refuses_one_of_them()
    {
        var (shell, _) = await system.TenantShellAsync();
        using var _shell = shell;
        var id = Expect.Success(await shell.RunAsync("workers", "create", "token-box", "--json")).Json()["id"]!.GetValue<string>();
        var used = Expect.Success(await shell.RunAsync("workers", "token", id, "--json")).Json();
        var (usedToken, usedId) = (used["token"]!.GetValue<string>(), used["token_id"]!.GetValue<string>());
        var idleId = Expect.Success(await shell.RunAsync("workers", "token", id, "--json")).Json()["token_id"]!.GetValue<string>();
        var gateway = new Uri(system.GatewayUrl);
        Assert.Equal("success", (await RawAgent.ConnectionAckAsync(gateway, usedToken)).Status);

        var table = Expect.Success(await shell.RunAsync("workers", "tokens", id)).Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^ID\s+ISSUED\s+EXPIRES\s+LAST_USED\s+FROM\s+STATUS$", table[0]);
        Assert.Matches($@"^{usedId}\s+{Time}\s+{Time}\s+{Time}\s+(127\.0\.0\.1|::1)\s+active$", Assert.Single(table, l => l.StartsWith(usedId)));
        Assert.Matches($@"^{idleId}\s+{Time}\s+{Time}\s+-\s+-\s+active$", Assert.Single(table, l => l.StartsWith(idleId)));
        Assert.Equal("2 tokens", table[^1]);

        Assert.Equal($"Token {usedId} of worker {id}: revoked.", Expect.Success(await shell.RunAsync("workers", "tokens", "revoke", id, usedId)).Out.Trim());
        Assert.Equal(AckErrorCodes.TokenRevoked, (await RawAgent.ConnectionAckAsync(gateway, usedToken)).Error?.Code);
        var list = Expect.Success(await shell.RunAsync("workers", "tokens", id, "--json")).Json();
        var statuses = list["tokens"]!.AsArray().ToDictionary(t => t!["id"]!.GetValue<string>(), t => t!["status"]!.GetValue<string>());
        Assert.Equal("revoked", statuses[usedId]);
        Assert.Equal("active", statuses[idleId]);

        Expect.Failure(await shell.RunAsync("workers", "tokens", "revoke", id, "not-a-token"), 2, "'not-a-token' is not a token id");
        Expect.Failure(await shell.RunAsync("workers", "tokens", "revoke", id, Guid.NewGuid().ToString()), 1, "(404)");
    }

    [Fact]
    public async Task Another_organisations_worker_tokens_are_not_found()
    {
        var (owner, _) = await system.TenantShellAsync();
        var (stranger, _) = await system.TenantShellAsync();
        using var _o = owner;
        using var _s = stranger;
        var id = Expect.Success(await owner.RunAsync("workers", "create", "private-tokens", "--json")).Json()["id"]!.GetValue<string>();
        var tokenId = Expect.Success(await owner.RunAsync("workers", "token", id, "--json")).Json()["token_id"]!.GetValue<string>();

        Expect.Failure(await stranger.RunAsync("workers", "tokens", id), 1, "(404)");
        Expect.Failure(await stranger.RunAsync("workers", "tokens", "revoke", id, tokenId), 1, "(404)");
        Assert.Contains("active", Expect.Success(await owner.RunAsync("workers", "tokens", id)).Out);
    }
}
