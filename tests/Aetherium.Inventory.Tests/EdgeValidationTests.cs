using System.Net;
using System.Net.WebSockets;
using System.Text;
using Aetherium.Contracts;
using Aetherium.Contracts.Agent;
using Aetherium.Testing;
using Xunit;

namespace Aetherium.Inventory.Tests;

/// <summary>Text and figures are checked where they come in (issue 22: defects 1, 6, 7 and the class "text is valid at the edge").</summary>
public sealed class EdgeValidationTests(InventoryFixture fx) : IClassFixture<InventoryFixture>
{
    [Fact]
    public async Task A_NUL_in_a_heartbeat_or_metrics_frame_is_refused_and_every_other_worker_keeps_reporting()
    {
        using var hostileApi = fx.Factory.As(Tenant.New().Token);
        using var otherApi = fx.Factory.As(Tenant.New().Token);
        var (hostileId, hostileToken, _) = await hostileApi.EnrollAsync("hostile");
        var (otherId, otherToken, _) = await otherApi.EnrollAsync("bystander");
        var (hostile, _) = await TestAgent.JoinAsync(fx.Factory, hostileToken);
        await using var _ = hostile;
        var (other, _) = await TestAgent.JoinAsync(fx.Factory, otherToken);
        await using var __ = other;
        other.StartHeartbeats(TimeSpan.FromMilliseconds(200));
        await Eventually.TrueAsync(async () => (await otherApi.WorkerAsync(otherId))["last_seen"] is not null, because: "the bystander reports");

        // The probe's two frames: legal JSON, refused by PostgreSQL as text (22021) and as jsonb (22P05).
        var vm = Guid.NewGuid();
        await hostile.HeartbeatAsync(vms: [new VmActualState(vm, "running", "boom\u0000")], cpu: 99);
        await hostile.SendAsync(FrameTypes.TelemetryMetrics, new MetricsData(new UsageFigures(5), new UsageFigures(5), new UsageFigures(5),
            new NetworkFigures(0, 0), [new GpuInfo("GPU-0", "x\u0000y", 1024, 1024, 0, 30)]));
        var after = DateTimeOffset.UtcNow;

        // The bystander's heartbeats are still stored: its last_seen moves past the bad frames.
        await Eventually.TrueAsync(async () => DateTimeOffset.Parse((string)(await otherApi.WorkerAsync(otherId))["last_seen"]!) > after.AddSeconds(1),
            because: "one worker's bad frame must not stop the others' telemetry");
        Assert.Equal("active", await otherApi.StatusAsync(otherId));

        // Neither bad frame reached the store, and the hostile session is still open.
        var worker = await hostileApi.WorkerAsync(hostileId);
        Assert.NotEqual(99.0, (double)worker["cpu_usage_percent"]!);
        Assert.Equal(0, await fx.Factory.ObservedVmCountAsync(hostileId));
        Assert.Empty((await (await hostileApi.GetAsync($"/api/v1/workers/{hostileId}/metrics")).JsonAsync())["samples"]!.AsArray());
        Assert.False(hostile.Closed.IsCompleted);
        await hostile.HeartbeatAsync(cpu: 33);
        await Eventually.TrueAsync(async () => (double)(await hostileApi.WorkerAsync(hostileId))["cpu_usage_percent"]! == 33, because: "its next good heartbeat is taken");

        // Logged once, naming the worker and the field, never the value; no flusher failure.
        var lines = fx.Factory.Logs.Lines.ToList();
        Assert.Contains(lines, l => l.Contains("TELEMETRY_HEARTBEAT") && l.Contains(hostileId.ToString()) && l.Contains("vms[0].reason"));
        Assert.DoesNotContain(lines, l => l.Contains("boom"));
        Assert.DoesNotContain(lines, l => l.Contains("not written, kept for the next try"));
    }

    [Fact]
    public async Task Out_of_range_figures_in_any_nested_object_are_refused_over_websocket_and_http()
    {
        using var api = fx.Factory.As(Tenant.New().Token);
        var (id, token, _) = await api.EnrollAsync("figures");
        var (agent, _) = await TestAgent.JoinAsync(fx.Factory, token);
        await using var _ = agent;
        using var http = fx.Factory.As(token);

        MetricsData Good() => new(new UsageFigures(10, Cores: 4, LoadAverage: [0.5, 0.4, 0.3]), new UsageFigures(20, 1024, 200), new UsageFigures(30, 2048, 600),
            new NetworkFigures(1, 2), [new GpuInfo("GPU-0", "A100", 1024, 512, 50, 40)]);
        var bad = new (string Field, MetricsData Data)[]
        {
            ("cpu.usage_percent", Good() with { Cpu = new UsageFigures(-1) }),
            ("cpu.cores", Good() with { Cpu = new UsageFigures(10, Cores: -4) }),
            ("cpu.load_average", Good() with { Cpu = new UsageFigures(10, LoadAverage: [double.PositiveInfinity]) }),
            ("memory.usage_percent", Good() with { Memory = new UsageFigures(1e308) }),
            ("memory.total_mb", Good() with { Memory = new UsageFigures(20, TotalMb: -1) }),
            ("disk.used_mb", Good() with { Disk = new UsageFigures(20, UsedMb: long.MinValue) }),
            ("network.bytes_in", Good() with { Network = new NetworkFigures(-5, 0) }),
            ("gpus[0].utilization", Good() with { Gpus = [new GpuInfo("GPU-0", "A100", 1024, 512, double.NaN, 40)] }),
            ("gpus[0].temperature", Good() with { Gpus = [new GpuInfo("GPU-0", "A100", 1024, 512, 50, 1e308)] }),
            ("gpus[0].memory_total_mb", Good() with { Gpus = [new GpuInfo("GPU-0", "A100", -1, 512, 50, 40)] }),
        };
        foreach (var (field, data) in bad)
        {
            // NaN and Infinity have no JSON literal: they travel as strings, which the protocol's reader accepts as numbers.
            var json = System.Text.Json.JsonSerializer.Serialize(data, new System.Text.Json.JsonSerializerOptions(AgentJson.Options)
                { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals });
            await agent.SendRawAsync($$"""{"type":"TELEMETRY_METRICS","message_id":"m","timestamp":"2025-01-01T00:00:00Z","data":{{json}}}""");
            var refused = await http.PostAsync("/api/v1/agent/metrics", new StringContent(json, Encoding.UTF8, "application/json"));
            var problem = await refused.ProblemAsync(HttpStatusCode.BadRequest);
            Assert.True(problem["errors"]?[field] is not null, $"{field}: {problem}");
        }
        await (await http.PostAsync("/api/v1/agent/heartbeat", new StringContent(
            """{"cpu_usage_percent":1e308,"memory_usage_percent":1,"disk_usage_percent":1,"uptime_seconds":1,"vms":[]}""", Encoding.UTF8, "application/json")))
            .ProblemAsync(HttpStatusCode.BadRequest);
        await agent.HeartbeatAsync(cpu: -3);
        await agent.SendAsync(FrameTypes.TelemetryMetrics, Good());

        // Only the good sample is kept; the refused ones never come back from the API.
        var samples = await Eventually.GetAsync(async () => (await (await api.GetAsync($"/api/v1/workers/{id}/metrics")).JsonAsync())["samples"]!.AsArray(),
            s => s.Count > 0, because: "the good sample is written");
        await agent.HeartbeatAsync(cpu: 7);
        await Eventually.TrueAsync(async () => (double)(await api.WorkerAsync(id))["cpu_usage_percent"]! == 7, because: "good heartbeats go on");
        samples = (await (await api.GetAsync($"/api/v1/workers/{id}/metrics")).JsonAsync())["samples"]!.AsArray();
        var only = Assert.Single(samples);
        Assert.Equal(10.0, (double)only!["cpu"]!["usage_percent"]!);
        Assert.Equal(4, (int)only["cpu"]!["cores"]!);
        Assert.Equal(1024, (long)only["memory"]!["total_mb"]!);
        Assert.False(agent.Closed.IsCompleted);
    }

    [Fact]
    public async Task A_bad_string_in_NODE_REGISTER_is_answered_with_INVALID_REGISTRATION_naming_the_field()
    {
        using var api = fx.Factory.As(Tenant.New().Token);
        var (id, token, _) = await api.EnrollAsync("bad-register");
        await using var agent = await TestAgent.ConnectAsync(fx.Factory, token);
        await agent.ConnectionAckAsync();

        await agent.SendAsync(FrameTypes.NodeRegister, TestAgent.Facts() with { CpuModel = "EPYC\u0000" });
        var refusal = (await agent.WaitForAsync(FrameTypes.RegisterAck)).Data!;
        Assert.Equal("error", (string)refusal["status"]!);
        Assert.Equal("INVALID_REGISTRATION", (string)refusal["error"]!["code"]!);
        Assert.NotNull(refusal["errors"]!["cpu_model"]);

        await agent.SendAsync(FrameTypes.NodeRegister, TestAgent.Facts() with { Gpus = [new GpuInfo("GPU-0", "A100", 1024, 1024, 0, double.MaxValue)] });
        refusal = (await agent.WaitForAsync(FrameTypes.RegisterAck, skip: 1)).Data!;
        Assert.NotNull(refusal["errors"]!["gpus[0].temperature"]);
        Assert.Equal("installing", await api.StatusAsync(id));
        Assert.Equal("success", (await agent.RegisterAsync(TestAgent.Facts())).Status);
    }

    [Fact]
    public async Task An_oversized_frame_closes_the_session_with_1009_and_FRAME_TOO_LARGE()
    {
        using var api = fx.Factory.As(Tenant.New().Token);
        var (_, token, _) = await api.EnrollAsync("oversized");
        var (agent, _) = await TestAgent.JoinAsync(fx.Factory, token);
        await using var _ = agent;

        var huge = new string('x', AgentLimits.MaxFrameBytes);
        try
        {
            await agent.HeartbeatAsync(vms: [new VmActualState(Guid.NewGuid(), "failed", huge)]);
        }
        catch (Exception e) when (e is WebSocketException or IOException or OperationCanceledException)
        {
            // The server may close before the last bytes are sent.
        }
        var ack = (await agent.WaitForAsync(FrameTypes.ConnectionAck, f => f.DataAs<ConnectionAckData>()!.Status == "error")).DataAs<ConnectionAckData>()!;
        Assert.Equal(AckErrorCodes.FrameTooLarge, ack.Error!.Code);
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, await agent.WaitClosedAsync());
    }

    [Fact]
    public async Task A_NUL_in_a_json_body_field_or_a_query_value_is_a_400_naming_it()
    {
        using var api = fx.Factory.As(Tenant.New().Token);

        var body = await (await api.PostAsync("/api/v1/workers", new StringContent("""{"name":"a\u0000b"}""", Encoding.UTF8, "application/json")))
            .ProblemAsync(HttpStatusCode.BadRequest);
        Assert.NotNull(body["errors"]?["name"]);
        var label = await (await api.PostAsync("/api/v1/workers", new StringContent("""{"name":"ok","labels":{"gpu":"a\u0007"}}""", Encoding.UTF8, "application/json")))
            .ProblemAsync(HttpStatusCode.BadRequest);
        Assert.NotNull(label["errors"]?["labels.gpu"]);

        var query = await (await api.GetAsync("/api/v1/workers?zone=a%00b")).ProblemAsync(HttpStatusCode.BadRequest);
        Assert.NotNull(query["errors"]?["zone"]);
        var escape = await (await api.GetAsync("/api/v1/workers?status=active&zone=%1B%5B31m")).ProblemAsync(HttpStatusCode.BadRequest);
        Assert.NotNull(escape["errors"]?["zone"]);

        // Nothing was created.
        Assert.Equal(0, (int)(await (await api.GetAsync("/api/v1/workers")).JsonAsync())["total"]!);
    }

    [Fact]
    public async Task The_checked_string_reader_leaves_the_openapi_document_typing_strings()
    {
        using var client = fx.Factory.CreateClient();
        var doc = System.Text.Json.Nodes.JsonNode.Parse(await client.GetStringAsync("/openapi/v1.json"))!;
        var create = doc["components"]!["schemas"]!["CreateWorkerRequest"]!["properties"]!;
        Assert.Equal("""["null","string"]""", create["name"]!["type"]!.ToJsonString());
        Assert.Equal("""{"type":"string"}""", create["labels"]!["additionalProperties"]!.ToJsonString());
        Assert.Equal("""{"type":"string"}""", create["role"]!["items"]!.ToJsonString());
        Assert.Equal("""{"type":"string"}""", doc["components"]!["schemas"]!["WorkerResponse"]!["properties"]!["name"]!.ToJsonString());
    }
}
