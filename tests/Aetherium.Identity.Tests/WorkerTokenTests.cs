using System.Net;
using Aetherium.Contracts;
using Aetherium.Testing;
using Xunit;

namespace Aetherium.Identity.Tests;

public sealed class WorkerTokenTests(IdentityFixture fx) : IClassFixture<IdentityFixture>
{
    private HttpClient Client => fx.Client;

    private async Task<(string Token, Guid TokenId, DateTimeOffset ExpiresAt)> IssueAsync(Guid workerId, Guid org, long? expiresIn = null)
    {
        var service = await Client.ServiceTokenAsync();
        var body = await (await Client.PostAsync("/internal/worker-tokens", new { worker_id = workerId, organization_id = org, expires_in_seconds = expiresIn }, service))
            .JsonAsync(HttpStatusCode.OK);
        return (body.GetProperty("token").GetString()!, body.GetProperty("token_id").GetGuid(), body.GetProperty("expires_at").GetDateTimeOffset());
    }

    private async Task<(Guid Org, string Token)> TenantAsync(string name)
    {
        var username = Api.Unique(name);
        var org = (await Client.SignupAsync(username)).GetProperty("organization_id").GetGuid();
        return (org, (await Client.LoginAsync(username)).AccessToken);
    }

    [Fact]
    public async Task A_service_client_gets_a_service_token_and_nobody_else_does()
    {
        var token = await Client.ServiceTokenAsync();
        var claims = Api.Payload(token);
        Assert.Equal("service", claims.GetProperty("role").GetString());
        Assert.Equal("inventory", claims.GetProperty("name").GetString());
        Assert.Equal(Guid.Empty.ToString(), claims.GetProperty("org").GetString());

        async Task<HttpResponseMessage> Ask(params (string, string)[] form) =>
            await Client.PostAsync("/connect/token", new FormUrlEncodedContent(form.ToDictionary(f => f.Item1, f => f.Item2)));
        var wrong = await (await Ask(("grant_type", "client_credentials"), ("client_id", "inventory"), ("client_secret", "guess"))).JsonAsync(HttpStatusCode.Unauthorized);
        Assert.Equal("invalid_client", wrong.GetProperty("error").GetString());
        await (await Ask(("grant_type", "client_credentials"), ("client_id", "nobody"), ("client_secret", IdentityFactory.InventorySecret))).JsonAsync(HttpStatusCode.Unauthorized);
        var grant = await (await Ask(("grant_type", "password"), ("client_id", "inventory"), ("client_secret", IdentityFactory.InventorySecret))).JsonAsync(HttpStatusCode.BadRequest);
        Assert.Equal("unsupported_grant_type", grant.GetProperty("error").GetString());
        await (await Client.PostAsync("/connect/token", new { grant_type = "client_credentials" })).JsonAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_worker_token_is_minted_for_services_only_and_announced()
    {
        await using var bus = await TestBus.StartAsync(fx.Factory.Settings.MessagingConnectionString, typeof(WorkerTokenIssued));
        var worker = Guid.NewGuid();
        var org = Guid.NewGuid();

        var (token, tokenId, expiresAt) = await IssueAsync(worker, org);
        Assert.InRange(expiresAt, DateTimeOffset.UtcNow.AddDays(364), DateTimeOffset.UtcNow.AddDays(366));
        var claims = Api.Payload(token);
        Assert.Equal(worker.ToString(), claims.GetProperty("sub").GetString());
        Assert.Equal(worker.ToString(), claims.GetProperty("worker_id").GetString());
        Assert.Equal(org.ToString(), claims.GetProperty("org").GetString());
        Assert.Equal("worker", claims.GetProperty("role").GetString());
        Assert.Equal(tokenId.ToString(), claims.GetProperty("jti").GetString());
        var issued = await bus.WaitForAsync<WorkerTokenIssued>(e => e.TokenId == tokenId);
        Assert.Equal((worker, org), (issued.WorkerId, issued.OrganizationId));

        var (_, _, shortExpiry) = await IssueAsync(worker, org, expiresIn: 3600);
        Assert.InRange(shortExpiry, DateTimeOffset.UtcNow.AddMinutes(59), DateTimeOffset.UtcNow.AddMinutes(61));

        var (_, user) = await TenantAsync("owner");
        var asUser = await Client.PostAsync("/internal/worker-tokens", new { worker_id = worker, organization_id = org }, user);
        Assert.Equal(HttpStatusCode.Forbidden, asUser.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Client.PostAsync("/internal/worker-tokens", new { worker_id = worker, organization_id = org })).StatusCode);
        var service = await Client.ServiceTokenAsync();
        var invalid = await (await Client.PostAsync("/internal/worker-tokens", new { worker_id = Guid.Empty, organization_id = org, expires_in_seconds = 5 }, service)).JsonAsync(HttpStatusCode.BadRequest);
        Assert.True(invalid.GetProperty("errors").TryGetProperty("worker_id", out _));
        Assert.True(invalid.GetProperty("errors").TryGetProperty("expires_in_seconds", out _));
    }

    [Fact]
    public async Task Tokens_are_listed_and_revoked_by_their_organisation_only()
    {
        await using var bus = await TestBus.StartAsync(fx.Factory.Settings.MessagingConnectionString, typeof(WorkerTokenRevoked));
        var (org, owner) = await TenantAsync("owner");
        var (_, stranger) = await TenantAsync("stranger");
        var worker = Guid.NewGuid();
        var (_, tokenId, _) = await IssueAsync(worker, org);
        await IssueAsync(Guid.NewGuid(), org);

        var mine = await (await Client.GetAsync($"/api/v1/worker-tokens?worker_id={worker}", owner)).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(1, mine.GetProperty("total").GetInt32());
        var listed = mine.GetProperty("worker_tokens")[0];
        Assert.Equal((tokenId, "active"), (listed.GetProperty("token_id").GetGuid(), listed.GetProperty("status").GetString()));
        Assert.Equal(2, (await (await Client.GetAsync("/api/v1/worker-tokens", owner)).JsonAsync(HttpStatusCode.OK)).GetProperty("total").GetInt32());
        Assert.Equal(0, (await (await Client.GetAsync("/api/v1/worker-tokens", stranger)).JsonAsync(HttpStatusCode.OK)).GetProperty("total").GetInt32());
        var admin = (await Client.LoginAdminAsync()).AccessToken;
        Assert.Equal(1, (await (await Client.GetAsync($"/api/v1/worker-tokens?worker_id={worker}", admin)).JsonAsync(HttpStatusCode.OK)).GetProperty("total").GetInt32());

        // Another tenant's token does not exist for the caller.
        await (await Client.PostAsync($"/api/v1/worker-tokens/{tokenId}/revoke", null, stranger)).JsonAsync(HttpStatusCode.NotFound);

        var revoked = await (await Client.PostAsync($"/api/v1/worker-tokens/{tokenId}/revoke", null, owner)).JsonAsync(HttpStatusCode.OK);
        Assert.Equal("revoked", revoked.GetProperty("status").GetString());
        var evt = await bus.WaitForAsync<WorkerTokenRevoked>(e => e.TokenId == tokenId);
        Assert.Equal((worker, org), (evt.WorkerId, evt.OrganizationId));
        Assert.Equal("revoked", (await (await Client.GetAsync($"/api/v1/worker-tokens?worker_id={worker}", owner)).JsonAsync(HttpStatusCode.OK))
            .GetProperty("worker_tokens")[0].GetProperty("status").GetString());
    }

    [Fact]
    public async Task RevokeWorkerTokens_revokes_every_token_of_the_worker_and_announces_each_once()
    {
        await using var bus = await TestBus.StartAsync(fx.Factory.Settings.MessagingConnectionString, typeof(WorkerTokenRevoked));
        var org = Guid.NewGuid();
        var worker = Guid.NewGuid();
        var other = Guid.NewGuid();
        var first = await IssueAsync(worker, org);
        var second = await IssueAsync(worker, org);
        var untouched = await IssueAsync(other, org);

        var command = Guid.NewGuid();
        await bus.PublishAsync(new RevokeWorkerTokens(worker, org, "worker deleted"), command);
        await bus.PublishAsync(new RevokeWorkerTokens(worker, org, "worker deleted"), command); // a redelivery

        await bus.WaitForAsync<WorkerTokenRevoked>(e => e.TokenId == first.TokenId);
        await bus.WaitForAsync<WorkerTokenRevoked>(e => e.TokenId == second.TokenId);
        await Task.Delay(1500); // room for a wrong extra event to arrive
        var events = bus.Received<WorkerTokenRevoked>();
        Assert.Equal(2, events.Count);
        Assert.DoesNotContain(events, e => e.TokenId == untouched.TokenId);
        var rows = await fx.DbAsync(db => Task.FromResult(db.WorkerTokens.Where(t => t.WorkerId == worker).Select(t => t.RevokedReason).ToList()));
        Assert.All(rows, r => Assert.Equal("worker deleted", r));
    }

    [Fact]
    public async Task Services_list_and_revoke_one_workers_tokens_and_nobody_else_may()
    {
        var (org, user) = await TenantAsync("svc-list");
        var worker = Guid.NewGuid();
        var (_, first, _) = await IssueAsync(worker, org);
        var (_, second, _) = await IssueAsync(worker, org);
        await IssueAsync(Guid.NewGuid(), org);
        var service = await Client.ServiceTokenAsync();

        var list = await (await Client.GetAsync($"/internal/worker-tokens?worker_id={worker}", service)).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(2, list.GetProperty("total").GetInt32());
        Assert.Equal([second, first], list.GetProperty("worker_tokens").EnumerateArray().Select(t => t.GetProperty("token_id").GetGuid()));
        var missing = await (await Client.GetAsync("/internal/worker-tokens", service)).JsonAsync(HttpStatusCode.BadRequest);
        Assert.True(missing.GetProperty("errors").TryGetProperty("worker_id", out _));
        Assert.Equal(HttpStatusCode.Forbidden, (await Client.GetAsync($"/internal/worker-tokens?worker_id={worker}", user)).StatusCode);

        // Another worker's id does not reach this token; the worker's own does, once (again: unchanged).
        await (await Client.PostAsync($"/internal/worker-tokens/{first}/revoke", new { worker_id = Guid.NewGuid(), reason = "x" }, service)).JsonAsync(HttpStatusCode.NotFound);
        Assert.Equal(HttpStatusCode.Forbidden, (await Client.PostAsync($"/internal/worker-tokens/{first}/revoke", new { worker_id = worker, reason = "x" }, user)).StatusCode);
        var revoked = await (await Client.PostAsync($"/internal/worker-tokens/{first}/revoke", new { worker_id = worker, reason = "revoked by owner" }, service)).JsonAsync(HttpStatusCode.OK);
        Assert.Equal("revoked", revoked.GetProperty("status").GetString());
        Assert.Equal("revoked by owner", revoked.GetProperty("revoked_reason").GetString());
        var after = await (await Client.GetAsync($"/internal/worker-tokens?worker_id={worker}", service)).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(["active", "revoked"], after.GetProperty("worker_tokens").EnumerateArray().Select(t => t.GetProperty("status").GetString()));
    }
}
