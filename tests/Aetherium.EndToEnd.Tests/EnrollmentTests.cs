using System.Net.Http.Json;
using Aetherium.AppHost;
using Aetherium.Contracts.Agent;
using Aetherium.Testing;
using Aetherium.Testing.System;
using Xunit;
using Xunit.Abstractions;

namespace Aetherium.EndToEnd.Tests;

public sealed class EnrollmentFixture : SystemFixture
{
    protected override void AddConfiguration(IDictionary<string, string?> configuration) => configuration["Parameters:fleet-size"] = "0";
}

/// <summary>
/// Seed 004's portal-first enrolment across identity, inventory and the gateway, with the real agent:
/// worker tokens minted by identity over HTTP, revocations travelling over the bus both ways.
/// </summary>
public sealed partial class EnrollmentTests(EnrollmentFixture system, ITestOutputHelper output) : IClassFixture<EnrollmentFixture>
{
    private async Task<(Api.Tenant Tenant, HttpClient Http, string WorkerId, string Token, string Script)> NewWorkerWithTokenAsync()
    {
        var tenant = await Api.NewTenantAsync(system.Gateway(), "owner");
        var http = system.Gateway(tenant.AccessToken);
        var worker = await Api.ReadAsync(await http.PostAsJsonAsync("/api/v1/workers", new { name = "owner-box", zone = "eu-1" }), 201);
        var id = worker["id"]!.GetValue<string>();
        Assert.Equal("pending", worker["status"]!.GetValue<string>());
        var issued = await Api.ReadAsync(await http.PostAsJsonAsync($"/api/v1/workers/{id}/token", new { }), 200);
        return (tenant, http, id, issued["token"]!.GetValue<string>(), issued["install_script"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_worker_created_in_the_portal_becomes_active_with_its_real_facts_when_its_agent_runs()
    {
        var (_, http, id, token, script) = await NewWorkerWithTokenAsync();
        var gateway = system.App.GetUrl(AetheriumModel.Gateway);
        Assert.Contains(gateway, script);
        Assert.Contains("aetherium-agent.dll\" install --controller", script);

        await using var agent = new AgentProcess();
        await agent.StartAsync(system.App, gateway, token);
        var worker = await Eventually.GetAsync(async () => await Api.ReadAsync(await http.GetAsync($"/api/v1/workers/{id}"), 200),
            w => w["status"]!.GetValue<string>() == "active", TimeSpan.FromSeconds(60), "the worker turns active once its agent registered");
        output.WriteLine(worker.ToJsonString());

        Assert.Equal(Environment.MachineName, worker["hostname"]!.GetValue<string>());
        Assert.Equal(Environment.ProcessorCount, worker["cpu_cores"]!.GetValue<int>());
        Assert.True(worker["memory_mb"]!.GetValue<long>() > 1024);
        Assert.True(worker["is_healthy"]!.GetValue<bool>());
        Assert.DoesNotContain(token, agent.Output);
    }

    [Fact]
    public async Task A_token_revoked_at_identity_is_refused_at_the_next_agent_connection()
    {
        var (_, http, id, token, _) = await NewWorkerWithTokenAsync();
        var gateway = new Uri(system.App.GetUrl(AetheriumModel.Gateway));
        Assert.Equal("success", (await RawAgent.ConnectionAckAsync(gateway, token)).Status);

        var tokens = await Api.ReadAsync(await http.GetAsync($"/api/v1/worker-tokens?worker_id={id}"), 200);
        var tokenId = tokens["worker_tokens"]![0]!["token_id"]!.GetValue<string>();
        await Api.ReadAsync(await http.PostAsync($"/api/v1/worker-tokens/{tokenId}/revoke", null), 200);

        // WorkerTokenRevoked travels identity -> inventory over the bus.
        var ack = await Eventually.GetAsync(() => RawAgent.ConnectionAckAsync(gateway, token), a => a.Status == "error", TimeSpan.FromSeconds(30));
        Assert.Equal(AckErrorCodes.TokenRevoked, ack.Error!.Code);
    }

    [Fact]
    public async Task Deleting_a_worker_revokes_its_tokens_at_identity()
    {
        var (_, http, id, token, _) = await NewWorkerWithTokenAsync();
        Assert.True((await http.DeleteAsync($"/api/v1/workers/{id}")).IsSuccessStatusCode);

        // RevokeWorkerTokens leaves inventory's outbox and is consumed by identity, which revokes every token.
        var revoked = await Eventually.GetAsync(async () => await Api.ReadAsync(await http.GetAsync($"/api/v1/worker-tokens?worker_id={id}"), 200),
            t => t["worker_tokens"]!.AsArray().All(x => x!["status"]!.GetValue<string>() == "revoked"), TimeSpan.FromSeconds(30),
            "identity revoked the deleted worker's tokens");
        Assert.NotEmpty(revoked["worker_tokens"]!.AsArray());
        var ack = await RawAgent.ConnectionAckAsync(new Uri(system.App.GetUrl(AetheriumModel.Gateway)), token);
        Assert.Equal("error", ack.Status);
    }
}
