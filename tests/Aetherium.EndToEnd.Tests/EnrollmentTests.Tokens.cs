using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Aetherium.AppHost;
using Aetherium.Contracts.Agent;
using Aetherium.Testing.System;
using Xunit;

namespace Aetherium.EndToEnd.Tests;

/// <summary>A machine owner's view of a worker's tokens: GET /workers/{id}/tokens and revoking one of them.</summary>
public sealed partial class EnrollmentTests
{
    private Uri GatewayUri => new(system.App.GetUrl(AetheriumModel.Gateway));

    private static async Task<JsonObject> TokenAsync(HttpClient http, string workerId, string tokenId)
    {
        var list = await Api.ReadAsync(await http.GetAsync($"/api/v1/workers/{workerId}/tokens"), 200);
        return list["tokens"]!.AsArray().Single(t => t!["id"]!.GetValue<string>() == tokenId)!.AsObject();
    }

    private static async Task<(string Token, string TokenId)> MintAsync(HttpClient http, string workerId)
    {
        var issued = await Api.ReadAsync(await http.PostAsJsonAsync($"/api/v1/workers/{workerId}/token", new { }), 200);
        return (issued["token"]!.GetValue<string>(), issued["token_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_workers_tokens_list_when_each_was_issued_expires_and_was_last_used_and_from_which_address()
    {
        var (_, http, id, _, _) = await NewWorkerWithTokenAsync();
        var (token, tokenId) = await MintAsync(http, id);
        var before = await TokenAsync(http, id, tokenId);
        Assert.Equal("active", before["status"]!.GetValue<string>());
        Assert.Null(before["last_used_at"]);
        Assert.Null(before["last_used_from"]);

        Assert.Equal("success", (await RawAgent.ConnectionAckAsync(GatewayUri, token)).Status);

        var list = await Api.ReadAsync(await http.GetAsync($"/api/v1/workers/{id}/tokens"), 200);
        output.WriteLine(list.ToJsonString());
        Assert.Equal(2, list["total"]!.GetValue<int>());
        var used = await TokenAsync(http, id, tokenId);
        var issuedAt = used["issued_at"]!.GetValue<DateTimeOffset>();
        Assert.InRange(issuedAt, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(1));
        Assert.InRange(used["expires_at"]!.GetValue<DateTimeOffset>() - issuedAt, TimeSpan.FromDays(364), TimeSpan.FromDays(366));
        Assert.InRange(used["last_used_at"]!.GetValue<DateTimeOffset>(), issuedAt, DateTimeOffset.UtcNow.AddMinutes(1));
        // The agent came through the gateway from this machine: its own address, not a missing one.
        Assert.True(IPAddress.IsLoopback(IPAddress.Parse(used["last_used_from"]!.GetValue<string>())), used.ToJsonString());
    }

    [Fact]
    public async Task Revoking_one_of_two_tokens_closes_its_session_and_refuses_its_agent_while_the_other_still_connects()
    {
        var (_, http, id, first, _) = await NewWorkerWithTokenAsync();
        var firstId = (await Api.ReadAsync(await http.GetAsync($"/api/v1/workers/{id}/tokens"), 200))["tokens"]![0]!["id"]!.GetValue<string>();
        var (second, secondId) = await MintAsync(http, id);

        await using var session = await RawAgent.OpenAsync(GatewayUri, first);
        Assert.Equal("success", session.Ack.Status);

        var revoked = await Api.ReadAsync(await http.PostAsync($"/api/v1/workers/{id}/tokens/{firstId}/revoke", null), 200);
        Assert.Equal("revoked", revoked["status"]!.GetValue<string>());

        // The open session is ended with the reason, without waiting for the agent's next connection.
        Assert.Equal(AckErrorCodes.TokenRevoked, (await session.EndedAsync(TimeSpan.FromSeconds(15)))?.Code);
        var again = await RawAgent.ConnectionAckAsync(GatewayUri, first);
        Assert.Equal(AckErrorCodes.TokenRevoked, again.Error?.Code);
        Assert.Equal("success", (await RawAgent.ConnectionAckAsync(GatewayUri, second)).Status);

        Assert.Equal("revoked", (await TokenAsync(http, id, firstId))["status"]!.GetValue<string>());
        Assert.Equal("active", (await TokenAsync(http, id, secondId))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Another_organisation_cannot_see_or_revoke_a_workers_tokens()
    {
        var (_, http, id, token, _) = await NewWorkerWithTokenAsync();
        var tokenId = (await Api.ReadAsync(await http.GetAsync($"/api/v1/workers/{id}/tokens"), 200))["tokens"]![0]!["id"]!.GetValue<string>();
        var other = system.Gateway((await Api.NewTenantAsync(system.Gateway(), "other")).AccessToken);

        await Api.ReadAsync(await other.GetAsync($"/api/v1/workers/{id}/tokens"), 404);
        await Api.ReadAsync(await other.PostAsync($"/api/v1/workers/{id}/tokens/{tokenId}/revoke", null), 404);
        // A token id this worker does not have is not found, and changes nothing.
        await Api.ReadAsync(await http.PostAsync($"/api/v1/workers/{id}/tokens/{Guid.NewGuid()}/revoke", null), 404);

        Assert.Equal("active", (await TokenAsync(http, id, tokenId))["status"]!.GetValue<string>());
        Assert.Equal("success", (await RawAgent.ConnectionAckAsync(GatewayUri, token)).Status);
    }
}
