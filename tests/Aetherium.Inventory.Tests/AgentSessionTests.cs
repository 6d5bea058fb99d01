using System.Net;
using System.Net.WebSockets;
using System.Security.Claims;
using Aetherium.Contracts;
using Aetherium.Contracts.Agent;
using Aetherium.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Xunit;

namespace Aetherium.Inventory.Tests;

public sealed class AgentSessionTests(InventoryFixture fx) : IClassFixture<InventoryFixture>
{
    [Fact]
    public async Task Seed_004_flow_create_token_connect_register_heartbeat_makes_the_worker_active()
    {
        var tenant = Tenant.New();
        using var api = fx.Factory.As(tenant.Token);

        // 1. Create (pending) and 2. token + install script.
        var id = await api.CreateWorkerAsync("GPU-Worker-01", "us-west-1a");
        Assert.Equal("pending", await api.StatusAsync(id));
        var issued = await (await api.PostJsonAsync($"/api/v1/workers/{id}/token", new { expires_in = 31536000 })).JsonAsync();
        var token = (string)issued["token"]!;
        Assert.Contains(token, (string)issued["install_script"]!);

        // 3. WebSocket with the JWT: CONNECTION_ACK success, worker installing.
        await using var agent = await TestAgent.ConnectAsync(fx.Factory, token);
        var ack = await agent.ConnectionAckAsync();
        Assert.Equal("success", ack.Status);
        Assert.Equal(id, ack.WorkerId);
        Assert.False(string.IsNullOrEmpty(ack.ControllerId));
        Assert.False(string.IsNullOrEmpty(ack.ServerVersion));
        Assert.Null(ack.Error);
        Assert.Equal("installing", await api.StatusAsync(id));
        await fx.Bus.WaitForAsync<WorkerStatusChanged>(e => e.Worker.WorkerId == id && e.OldStatus == "pending" && e.NewStatus == "installing");

        // 4. NODE_REGISTER → REGISTER_ACK with the intervals and the (empty) desired set.
        var registered = await agent.RegisterAsync(TestAgent.Facts("gpu-server-01"));
        Assert.Equal("success", registered.Status);
        Assert.Equal(id, registered.WorkerId);
        Assert.Equal(300, registered.HeartbeatIntervalMs);
        Assert.Equal(1000, registered.MetricsIntervalMs);
        Assert.Equal(0, registered.Desired.Version);
        Assert.Empty(registered.Desired.Vms);

        // 5. Heartbeats: active, healthy, figures shown.
        agent.StartHeartbeats(TimeSpan.FromMilliseconds(300), () => new HeartbeatData(45.2, 62.8, 50, 3630, []));
        var w = await Eventually.GetAsync(() => api.WorkerAsync(id), w => (double)w["cpu_usage_percent"]! == 45.2, because: "heartbeat figures reach the worker");
        Assert.Equal("active", (string)w["status"]!);
        Assert.True((bool)w["is_healthy"]!);
        Assert.True((bool)w["websocket_connected"]!);
        Assert.Equal("gpu-server-01", (string)w["hostname"]!);
        Assert.Equal("203.0.113.10", (string)w["address"]!);
        Assert.Equal(16, (int)w["cpu_cores"]!);
        Assert.Equal(32768, (long)w["memory_mb"]!);
        Assert.Equal(62.8, (double)w["memory_usage_percent"]!);
        Assert.Equal("NVIDIA A100", (string)w["gpus"]![0]!["model"]!);
        Assert.Equal(["process", "simulated"], w["capabilities"]!.AsArray().Select(c => (string)c!));
        Assert.NotNull(w["token_metadata"]!["token_generated_at"]);
        Assert.NotNull(w["token_metadata"]!["token_last_used_at"]);

        var snapshot = (await fx.Bus.WaitForAsync<WorkerRegistered>(e => e.Worker.WorkerId == id)).Worker;
        Assert.Equal("gpu-server-01", snapshot.Hostname);
        Assert.Equal("203.0.113.10", snapshot.Address);
        Assert.Equal(16, snapshot.CpuCores);
        Assert.Equal(["ubuntu-24.04"], snapshot.Images!);
        Assert.Equal(["process", "simulated"], snapshot.Runtimes);
        var active = await fx.Bus.WaitForAsync<WorkerStatusChanged>(e => e.Worker.WorkerId == id && e.NewStatus == "active");
        Assert.Equal("installing", active.OldStatus);
        Assert.True(active.Worker.Version > 1);
    }

    [Fact]
    public async Task Every_connection_ack_error_code_is_sent_before_the_socket_closes()
    {
        var tenant = Tenant.New();
        using var api = fx.Factory.As(tenant.Token);
        var (id, _, _) = await api.EnrollAsync("codes");

        async Task Refused(string? token, string code, bool inQuery = false)
        {
            await using var agent = await TestAgent.ConnectAsync(fx.Factory, token, inQuery);
            var ack = await agent.ConnectionAckAsync();
            Assert.Equal("error", ack.Status);
            Assert.True(code == ack.Error?.Code, $"expected {code}, got {ack.Error?.Code}: {ack.Error?.Message}");
            Assert.False(string.IsNullOrEmpty(ack.Error!.Message));
            Assert.Equal(WebSocketCloseStatus.PolicyViolation, await agent.WaitClosedAsync());
        }

        await Refused(null, AckErrorCodes.InvalidToken);
        await Refused("not-a-jwt", AckErrorCodes.InvalidToken);
        await Refused(Sign(id, tenant.OrganizationId, key: new ECDsaSecurityKey(System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256)) { KeyId = "test-key" }), AckErrorCodes.InvalidToken);
        await Refused(Sign(id, tenant.OrganizationId, audience: "someone-else"), AckErrorCodes.InvalidToken);
        await Refused(tenant.Token, AckErrorCodes.InvalidToken); // a user's token is not a worker token
        await Refused(TestTokens.Create(id, tenant.OrganizationId, [Roles.Worker], workerId: id, lifetime: TimeSpan.FromMinutes(10), notBefore: DateTime.UtcNow.AddHours(-1)),
            AckErrorCodes.TokenExpired);
        await Refused(TestTokens.Worker(Guid.NewGuid(), tenant.OrganizationId), AckErrorCodes.WorkerNotFound);
        await Refused(TestTokens.Worker(id, Guid.NewGuid()), AckErrorCodes.WorkerNotFound); // another organisation's token for it

        // Revoked by identity (WorkerTokenRevoked, also through ?access_token=).
        var revoked = Guid.NewGuid();
        await fx.Bus.PublishAsync(new WorkerTokenRevoked(revoked, id, tenant.OrganizationId, DateTimeOffset.UtcNow));
        var revokedToken = TestTokens.Worker(id, tenant.OrganizationId, revoked);
        await Eventually.TrueAsync(async () =>
        {
            await using var probe = await TestAgent.ConnectAsync(fx.Factory, revokedToken);
            return (await probe.ConnectionAckAsync()).Error?.Code == AckErrorCodes.TokenRevoked;
        }, because: "the revocation reaches inventory");
        await Refused(revokedToken, AckErrorCodes.TokenRevoked, inQuery: true);

        // In maintenance: inactive.
        var (inactive, inactiveToken, _) = await api.EnrollAsync("inactive");
        var (a, _) = await TestAgent.JoinAsync(fx.Factory, inactiveToken);
        await a.HeartbeatAsync();
        await (await api.PostJsonAsync($"/api/v1/workers/{inactive}/maintenance", new { })).JsonAsync();
        await a.DisposeAsync();
        await Refused(inactiveToken, AckErrorCodes.WorkerInactive);

        // Deleted: its tokens are revoked.
        var (deleted, deletedToken, _) = await api.EnrollAsync("deleted");
        await (await api.DeleteAsync($"/api/v1/workers/{deleted}")).JsonAsync();
        await Refused(deletedToken, AckErrorCodes.TokenRevoked);
    }

    [Fact]
    public async Task A_database_outage_answers_INTERNAL_ERROR()
    {
        var pg = new Npgsql.NpgsqlConnectionStringBuilder(fx.Factory.Settings.DatabaseConnectionString);
        await using var proxy = new ToggleProxy(pg.Port);
        pg.Port = proxy.Port;
        await using var replica = await fx.Factory.ReplicaAsync(fx.Factory.Settings with { DatabaseConnectionString = pg.ConnectionString });
        var tenant = Tenant.New();
        using var api = replica.As(tenant.Token);
        var (_, token, _) = await api.EnrollAsync("outage");

        proxy.Down();
        await using var agent = await TestAgent.ConnectAsync(replica, token);
        var ack = await agent.ConnectionAckAsync();
        Assert.Equal(AckErrorCodes.InternalError, ack.Error?.Code);
        proxy.Up();
    }

    [Fact]
    public async Task A_revoked_token_closes_the_live_session_at_once()
    {
        var tenant = Tenant.New();
        using var api = fx.Factory.As(tenant.Token);
        var (id, token, tokenId) = await api.EnrollAsync("revoked-live");
        var (agent, _) = await TestAgent.JoinAsync(fx.Factory, token);
        await using var _ = agent;
        agent.StartHeartbeats(TimeSpan.FromMilliseconds(200));

        await fx.Bus.PublishAsync(new WorkerTokenRevoked(tokenId, id, tenant.OrganizationId, DateTimeOffset.UtcNow));

        var frame = await agent.WaitForAsync(FrameTypes.ConnectionAck, f => f.DataAs<ConnectionAckData>()!.Status == "error");
        Assert.Equal(AckErrorCodes.TokenRevoked, frame.DataAs<ConnectionAckData>()!.Error!.Code);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await agent.WaitClosedAsync());
        await Eventually.TrueAsync(async () => !(bool)(await api.WorkerAsync(id))["websocket_connected"]!, because: "the session is gone");
    }

    [Fact]
    public async Task Deleting_the_worker_closes_its_session()
    {
        using var api = fx.Factory.As(Tenant.New().Token);
        var (id, token, _) = await api.EnrollAsync("deleted-live");
        var (agent, _) = await TestAgent.JoinAsync(fx.Factory, token);
        await using var _ = agent;

        await (await api.DeleteAsync($"/api/v1/workers/{id}")).JsonAsync();

        var frame = await agent.WaitForAsync(FrameTypes.ConnectionAck, f => f.DataAs<ConnectionAckData>()!.Status == "error");
        Assert.Equal(AckErrorCodes.TokenRevoked, frame.DataAs<ConnectionAckData>()!.Error!.Code);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await agent.WaitClosedAsync());
    }

    [Fact]
    public async Task Node_going_away_leaves_the_worker_active_for_the_agent_to_come_back_within_the_timeout()
    {
        using var api = fx.Factory.As(Tenant.New().Token);
        var (id, token, _) = await api.EnrollAsync("going-away");
        var (agent, _) = await TestAgent.JoinAsync(fx.Factory, token);
        await agent.HeartbeatAsync();

        // An agent stopped on purpose (SIGTERM, a restart, the demo fleet at AppHost shutdown) is no dead worker.
        await agent.SendAsync(FrameTypes.NodeGoingAway, new { reason = "SIGTERM" });
        Assert.Equal(WebSocketCloseStatus.NormalClosure, await agent.WaitClosedAsync());
        var w = await api.WorkerAsync(id);
        Assert.Equal("active", (string)w["status"]!);
        Assert.True((bool)w["is_healthy"]!);
        await agent.DisposeAsync();

        var (again, ack) = await TestAgent.JoinAsync(fx.Factory, token);
        await using var __ = again;
        Assert.Equal("success", ack.Status);
        Assert.Equal("active", await api.StatusAsync(id));
        Assert.DoesNotContain(fx.Bus.Received<WorkerStatusChanged>(), e => e.Worker.WorkerId == id && e.NewStatus == "offline");
    }

    [Fact]
    public async Task A_reconnect_replaces_the_older_session_and_bad_frames_are_ignored()
    {
        using var api = fx.Factory.As(Tenant.New().Token);
        var (id, token, _) = await api.EnrollAsync("reconnect");
        var (first, _) = await TestAgent.JoinAsync(fx.Factory, token);
        await using var _ = first;
        var (second, _) = await TestAgent.JoinAsync(fx.Factory, token);
        await using var __ = second;
        Assert.Equal(WebSocketCloseStatus.NormalClosure, await first.WaitClosedAsync());

        await second.SendRawAsync("this is not json");
        await second.SendRawAsync("""{"type":"SOMETHING_NEW","message_id":"1","timestamp":"2025-01-01T00:00:00Z","data":{}}""");
        await second.SendRawAsync("""{"type":"TELEMETRY_HEARTBEAT","message_id":"2","timestamp":"2025-01-01T00:00:00Z","data":{"cpu_usage_percent":"lots"}}""");
        await second.HeartbeatAsync(cpu: 77);
        await Eventually.TrueAsync(async () => (double)(await api.WorkerAsync(id))["cpu_usage_percent"]! == 77, because: "the session survived the bad frames");
        Assert.False(second.Closed.IsCompleted);
    }

    [Fact]
    public async Task An_invalid_registration_is_refused_with_field_errors_and_the_session_stays_open()
    {
        using var api = fx.Factory.As(Tenant.New().Token);
        var (id, token, _) = await api.EnrollAsync("bad-facts");
        await using var agent = await TestAgent.ConnectAsync(fx.Factory, token);
        await agent.ConnectionAckAsync();

        await agent.SendAsync(FrameTypes.NodeRegister, TestAgent.Facts() with { Hostname = "", CpuCores = 0 });
        var refusal = (await agent.WaitForAsync(FrameTypes.RegisterAck)).Data!;
        Assert.Equal("error", (string)refusal["status"]!);
        Assert.Equal("INVALID_REGISTRATION", (string)refusal["error"]!["code"]!);
        Assert.NotNull(refusal["errors"]!["hostname"]);
        Assert.NotNull(refusal["errors"]!["cpu_cores"]);
        Assert.Equal("installing", await api.StatusAsync(id));

        var ack = await agent.RegisterAsync(TestAgent.Facts());
        Assert.Equal("success", ack.Status);
        Assert.Equal("active", await api.StatusAsync(id));
    }

    [Fact]
    public async Task Connect_without_a_websocket_upgrade_is_a_400()
    {
        using var client = fx.Factory.CreateClient();
        await (await client.GetAsync("/api/v1/agent/connect")).ProblemAsync(HttpStatusCode.BadRequest);
    }

    private static string Sign(Guid workerId, Guid org, SecurityKey? key = null, string audience = TestTokens.Audience) =>
        new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = TestTokens.Issuer,
            Audience = audience,
            Subject = new ClaimsIdentity([
                new Claim("sub", workerId.ToString()), new Claim("org", org.ToString()), new Claim("role", Roles.Worker),
                new Claim("worker_id", workerId.ToString()), new Claim("jti", Guid.NewGuid().ToString())]),
            Expires = DateTime.UtcNow.AddHours(1),
            SigningCredentials = new SigningCredentials(key ?? TestTokens.Key, SecurityAlgorithms.EcdsaSha256),
        });
}
