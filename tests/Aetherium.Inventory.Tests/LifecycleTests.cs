using System.Net;
using Aetherium.Contracts;
using Aetherium.Contracts.Agent;
using Aetherium.Testing;
using Xunit;

namespace Aetherium.Inventory.Tests;

public sealed class LifecycleTests(InventoryFixture fx) : IClassFixture<InventoryFixture>
{
    [Fact]
    public async Task Drain_activate_and_maintenance_follow_the_status_rules()
    {
        using var api = fx.Factory.As(Tenant.New().Token);
        var (id, token, _) = await api.EnrollAsync("lifecycle");

        // Pending: nothing to drain, activate or maintain yet.
        foreach (var action in new[] { "drain", "activate", "maintenance" })
        {
            var p = await (await api.PostJsonAsync($"/api/v1/workers/{id}/{action}", new { })).ProblemAsync(HttpStatusCode.Conflict);
            Assert.Contains("pending", (string)p["detail"]!);
        }

        var (agent, _) = await TestAgent.JoinAsync(fx.Factory, token);
        await agent.HeartbeatAsync();
        Assert.Equal("active", await api.StatusAsync(id));
        await (await api.PostJsonAsync($"/api/v1/workers/{id}/activate", new { })).ProblemAsync(HttpStatusCode.Conflict);

        // Drain with defaults (seed 003: no body): 1 h deadline, one VM at a time.
        var before = DateTimeOffset.UtcNow;
        var drained = await (await api.PostAsync($"/api/v1/workers/{id}/drain", null)).JsonAsync();
        Assert.Equal(id, Guid.Parse((string)drained["worker_id"]!));
        Assert.Equal("draining", (string)drained["status"]!);
        Assert.False(string.IsNullOrEmpty((string)drained["message"]!));
        var evt = await fx.Bus.WaitForAsync<WorkerStatusChanged>(e => e.Worker.WorkerId == id && e.NewStatus == "draining");
        Assert.Equal("active", evt.OldStatus);
        Assert.Equal(1, evt.Worker.DrainMaxParallel);
        Assert.InRange(evt.Worker.DrainDeadline!.Value, before.AddSeconds(3590), DateTimeOffset.UtcNow.AddSeconds(3610));

        // Drain again: a new deadline and parallelism for the running drain.
        var redrained = await (await api.PostJsonAsync($"/api/v1/workers/{id}/drain", new { deadline_seconds = 60, max_parallel = 3 })).JsonAsync();
        Assert.Equal(3, (int)redrained["max_parallel"]!);
        var updated = await fx.Bus.WaitForAsync<WorkerCapacityChanged>(e => e.Worker.WorkerId == id && e.Worker.DrainMaxParallel == 3);
        Assert.InRange(updated.Worker.DrainDeadline!.Value, before.AddSeconds(50), DateTimeOffset.UtcNow.AddSeconds(70));
        await (await api.PostJsonAsync($"/api/v1/workers/{id}/drain", new { deadline_seconds = 0, max_parallel = 0 })).ProblemAsync(HttpStatusCode.BadRequest);

        var activated = await (await api.PostJsonAsync($"/api/v1/workers/{id}/activate", new { })).JsonAsync();
        Assert.Equal("active", (string)activated["status"]!);
        var back = await fx.Bus.WaitForAsync<WorkerStatusChanged>(e => e.Worker.WorkerId == id && e.OldStatus == "draining" && e.NewStatus == "active");
        Assert.Null(back.Worker.DrainDeadline);

        // Maintenance: the agent is told and disconnected; a second maintenance is a conflict.
        var maintained = await (await api.PostJsonAsync($"/api/v1/workers/{id}/maintenance", new { })).JsonAsync();
        Assert.Equal("maintenance", (string)maintained["status"]!);
        var bye = await agent.WaitForAsync(FrameTypes.ConnectionAck, f => f.DataAs<ConnectionAckData>()!.Status == "error");
        Assert.Equal(AckErrorCodes.WorkerInactive, bye.DataAs<ConnectionAckData>()!.Error!.Code);
        await agent.WaitClosedAsync();
        await (await api.PostJsonAsync($"/api/v1/workers/{id}/maintenance", new { })).ProblemAsync(HttpStatusCode.Conflict);
        await (await api.PostJsonAsync($"/api/v1/workers/{id}/drain", new { })).ProblemAsync(HttpStatusCode.Conflict);

        // Activate from maintenance; the agent may connect again.
        await (await api.PostJsonAsync($"/api/v1/workers/{id}/activate", new { })).JsonAsync();
        var (again, ack) = await TestAgent.JoinAsync(fx.Factory, token);
        await using var _ = again;
        Assert.Equal("success", ack.Status);
        Assert.Equal("active", await api.StatusAsync(id));
        await agent.DisposeAsync();
    }

    [Fact]
    public async Task An_admin_may_drain_any_worker_and_another_tenant_may_not()
    {
        using var owner = fx.Factory.As(Tenant.New().Token);
        using var stranger = fx.Factory.As(Tenant.New().Token);
        using var admin = fx.Factory.As(TestTokens.Admin());
        var (id, token, _) = await owner.EnrollAsync("admin-drain");
        var (agent, _) = await TestAgent.JoinAsync(fx.Factory, token);
        await using var _ = agent;

        await (await stranger.PostJsonAsync($"/api/v1/workers/{id}/drain", new { })).ProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal("active", await owner.StatusAsync(id));
        Assert.Equal("draining", (string)(await (await admin.PostJsonAsync($"/api/v1/workers/{id}/drain", new { })).JsonAsync())["status"]!);
        Assert.Equal("draining", await owner.StatusAsync(id));
    }
}
