using System.Net;
using Aetherium.Contracts;
using Aetherium.Contracts.Agent;
using Aetherium.Testing;
using Xunit;

namespace Aetherium.Inventory.Tests;

/// <summary>POST /agent/register|heartbeat|metrics|goodbye: the WebSocket's payloads over plain HTTP (Agent/Http.cs).</summary>
public sealed class HttpFallbackTests(InventoryFixture fx) : IClassFixture<InventoryFixture>
{
    [Fact]
    public async Task An_agent_can_register_heartbeat_report_metrics_and_leave_over_http()
    {
        using var api = fx.Factory.As(Tenant.New().Token);
        var (id, token, _) = await api.EnrollAsync("scripted");
        using var agent = fx.Factory.As(token);

        await (await agent.PostJsonAsync("/api/v1/agent/heartbeat", new HeartbeatData(1, 1, 1, 1, []))).ProblemAsync(HttpStatusCode.Conflict);

        var ack = await (await agent.PostJsonAsync("/api/v1/agent/register", TestAgent.Facts("script-host"))).JsonAsync();
        Assert.Equal("success", (string)ack["status"]!);
        Assert.Equal(id.ToString(), (string)ack["worker_id"]!);
        Assert.Equal(300, (int)ack["heartbeat_interval_ms"]!);
        Assert.Equal(0, (long)ack["desired"]!["version"]!);
        Assert.Equal("active", await api.StatusAsync(id));
        Assert.False((bool)(await api.WorkerAsync(id))["websocket_connected"]!);

        var vm = Guid.NewGuid();
        await fx.Bus.PublishAsync(new WorkerDesiredStateChanged(id, 4, [new DesiredVm(vm, "http-vm", "ubuntu-24.04", 1, 512, 5, 0, PowerStates.Running)], DateTimeOffset.UtcNow));
        var beat = await Eventually.GetAsync(
            async () => await (await agent.PostJsonAsync("/api/v1/agent/heartbeat",
                new HeartbeatData(33, 44, 55, 100, [new VmActualState(vm, AgentVmStates.Running, DesiredVersion: 4)], 0))).JsonAsync(),
            b => (long)b["desired"]!["version"]! == 4, because: "every heartbeat answer carries the newest desired state");
        Assert.Equal("success", (string)beat["status"]!);
        Assert.Equal(vm.ToString(), (string)beat["desired"]!["vms"]![0]!["vm_id"]!);
        await fx.Bus.WaitForAsync<VmObserved>(e => e.VmId == vm && e.State == "running");
        await Eventually.TrueAsync(async () => (double)(await api.WorkerAsync(id))["cpu_usage_percent"]! == 33);

        var metrics = new MetricsData(new UsageFigures(12), new UsageFigures(34), new UsageFigures(56), new NetworkFigures(1, 2), []);
        Assert.Equal(HttpStatusCode.Accepted, (await agent.PostJsonAsync("/api/v1/agent/metrics", metrics)).StatusCode);
        await Eventually.TrueAsync(async () =>
            (await (await api.GetAsync($"/api/v1/workers/{id}/metrics")).JsonAsync())["samples"]!.AsArray().Count == 1);

        // A goodbye is no failure: the worker stays active, the offline timeout decides.
        Assert.Equal(HttpStatusCode.NoContent, (await agent.PostAsync("/api/v1/agent/goodbye", null)).StatusCode);
        Assert.Equal("active", await api.StatusAsync(id));
    }

    [Fact]
    public async Task Refusals_are_problem_details_with_the_connection_ack_codes()
    {
        var tenant = Tenant.New();
        using var api = fx.Factory.As(tenant.Token);
        var (id, token, _) = await api.EnrollAsync("refused");

        async Task Refused(string? bearer, HttpStatusCode status, string code, object? body = null)
        {
            using var client = bearer is null ? fx.Factory.CreateClient() : fx.Factory.As(bearer);
            var problem = await (await client.PostJsonAsync("/api/v1/agent/register", body ?? TestAgent.Facts())).ProblemAsync(status);
            Assert.Equal(code, (string)problem["code"]!);
        }

        await Refused(null, HttpStatusCode.Unauthorized, AckErrorCodes.InvalidToken);
        await Refused("garbage", HttpStatusCode.Unauthorized, AckErrorCodes.InvalidToken);
        await Refused(TestTokens.Create(id, tenant.OrganizationId, [Roles.Worker], workerId: id, lifetime: TimeSpan.FromMinutes(1), notBefore: DateTime.UtcNow.AddHours(-1)),
            HttpStatusCode.Unauthorized, AckErrorCodes.TokenExpired);
        await Refused(TestTokens.Worker(Guid.NewGuid(), tenant.OrganizationId), HttpStatusCode.NotFound, AckErrorCodes.WorkerNotFound);
        await Refused(token, HttpStatusCode.BadRequest, "INVALID_REGISTRATION", TestAgent.Facts() with { IpAddress = "" });

        var (inactive, inactiveToken, _) = await api.EnrollAsync("inactive");
        using (var a = fx.Factory.As(inactiveToken)) await (await a.PostJsonAsync("/api/v1/agent/register", TestAgent.Facts())).JsonAsync();
        await (await api.PostJsonAsync($"/api/v1/workers/{inactive}/maintenance", new { })).JsonAsync();
        await Refused(inactiveToken, HttpStatusCode.Forbidden, AckErrorCodes.WorkerInactive);

        var (deleted, deletedToken, _) = await api.EnrollAsync("deleted");
        await (await api.DeleteAsync($"/api/v1/workers/{deleted}")).JsonAsync();
        await Refused(deletedToken, HttpStatusCode.Unauthorized, AckErrorCodes.TokenRevoked);
        Assert.Equal("pending", await api.StatusAsync(id)); // nothing refused changed anything
    }
}
