using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Aetherium.Agent.Simulation;
using Aetherium.AppHost;
using Aetherium.Testing;
using Aetherium.Testing.System;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;
using Xunit.Abstractions;

namespace Aetherium.Gateway.Tests.Live;

/// <summary>
/// The live stream (issue 12, the live contract) against the whole system: what a portal or `aetherium watch`
/// sees while users change things through the API. Each test signs up tenants of its own (the fixture's API
/// limit is per client).
/// </summary>
[Collection(GatewayCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")] // the simulated agent
public sealed class LiveStreamTests(GatewayFixture system, ITestOutputHelper output)
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    private Uri Gateway => new(system.App.GetUrl(AetheriumModel.Gateway));

    private static string Id(JsonObject o, string key = "id") => o[key]!.GetValue<string>();

    /// <summary>An API call and when its response arrived, on the streams' clock.</summary>
    private static async Task<(JsonObject Body, TimeSpan At)> TimedAsync(Task<HttpResponseMessage> call, int status)
    {
        var response = await call;
        var at = LiveStream.Clock.Elapsed;
        return (await Api.ReadAsync(response, status), at);
    }

    /// <summary>Events timed from the response of the call that caused them (<see cref="AssertPrompt"/>).</summary>
    private readonly HashSet<LiveMessage> _timedByResponse = new(ReferenceEqualityComparer.Instance);

    /// <summary>The event came within a second of the response of the call that caused it (before it, even, counts).</summary>
    private TimeSpan AssertPrompt(LiveMessage message, TimeSpan responseAt, string what)
    {
        _timedByResponse.Add(message);
        var delay = message.ReceivedAt - responseAt;
        output.WriteLine($"{what}: {message.Type} {delay.TotalMilliseconds:0} ms after the API's response ({message.SinceOccurred.TotalMilliseconds:0} ms after it occurred)");
        Assert.True(delay < Second, $"{what}: {message.Type} came {delay.TotalMilliseconds:0} ms after the response ({message.SinceOccurred.TotalMilliseconds:0} ms after it occurred)");
        return delay;
    }

    private static async Task<JsonObject> SnapshotAsync(LiveStream live)
    {
        var first = await live.NextAsync(TimeSpan.FromSeconds(15));
        Assert.Equal("snapshot", first.Type);
        return first.Data;
    }

    /// <summary>Rents one VM in the zone and waits until the stream shows it running: the lease's and the VM's ids.</summary>
    private static async Task<string[]> RentUntilRunningAsync(HttpClient http, LiveStream live, string zone)
    {
        var lease = await Api.ReadAsync(await http.PostAsJsonAsync("/api/v1/leases",
            new { duration_hours = 1, count = 1, spec = new { cpu_cores = 1, memory_mb = 256, disk_gb = 1, zone } }), 201);
        var leaseId = Id(lease);
        var vmId = Id((await live.FindOrWaitAsync("vm.requested", d => Id(d, "lease_id") == leaseId, "vm.requested (warm-up)")).Body, "vm_id");
        await live.FindOrWaitAsync("vm.state_changed", d => Id(d, "vm_id") == vmId && d["status"]!.GetValue<string>() == "running", "the warm-up VM runs");
        return [leaseId, vmId];
    }

    private static IEnumerable<string> Ids(JsonObject snapshot, string list) => snapshot[list]!.AsArray().Select(x => Id(x!.AsObject()));

    [Fact]
    public async Task A_tenant_sees_its_worker_and_lease_change_in_order_each_event_within_a_second_of_the_call()
    {
        var tenant = await Api.NewTenantAsync(system.Gateway());
        var http = system.Gateway(tenant.AccessToken);
        await using var live = await SseStream.OpenAsync(Gateway, tenant.AccessToken);
        var snapshot = await SnapshotAsync(live);
        Assert.Empty(snapshot["workers"]!.AsArray());
        Assert.Empty(snapshot["vms"]!.AsArray());
        Assert.Empty(snapshot["leases"]!.AsArray());
        Assert.True(DateTimeOffset.UtcNow - snapshot["at"]!.GetValue<DateTimeOffset>() < TimeSpan.FromMinutes(1));

        var delays = new List<TimeSpan>();
        var warmUpIds = new HashSet<string>();
        // A zone of its own, so the lease's VM is placed on this tenant's worker.
        var zone = $"live-{Guid.NewGuid():N}"[..13];
        // The system's first event of a kind runs cold code in the service's outbox, the bus and the gateway
        // (JIT of a Debug build: over a second on a busy 2-core machine); the stream's promise is about a running
        // system, so a first worker warms that path up, and its events are shown but not timed.
        var (warmWorker, warmCreatedAt) = await TimedAsync(http.PostAsJsonAsync("/api/v1/workers", new { name = "warm-up-box", zone = "warm-up" }), 201);
        var warmWorkerId = Id(warmWorker);
        warmUpIds.Add(warmWorkerId);
        var warmCreated = await live.WaitForAsync("worker.created", d => d["worker"]!["worker_id"]!.GetValue<string>() == warmWorkerId, "worker.created (warm-up)");
        output.WriteLine($"create worker (warm-up): worker.created {(warmCreated.ReceivedAt - warmCreatedAt).TotalMilliseconds:0} ms after the API's response");
        var (worker, createdAt) = await TimedAsync(http.PostAsJsonAsync("/api/v1/workers", new { name = "live-box", zone }), 201);
        var workerId = Id(worker);
        bool Mine(JsonObject d) => d["worker"]!["worker_id"]!.GetValue<string>() == workerId;
        delays.Add(AssertPrompt(await live.WaitForAsync("worker.created", Mine, "worker.created"), createdAt, "create worker"));

        var token = (await Api.ReadAsync(await http.PostAsJsonAsync($"/api/v1/workers/{workerId}/token", new { }), 200))["token"]!.GetValue<string>();
        using var agentStop = new CancellationTokenSource();
        using var fleet = new Fleet(Gateway, [new FleetMember("live-box", token)], new FleetOptions(), NullLoggerFactory.Instance);
        var agent = fleet.RunAsync(agentStop.Token);
        try
        {
            // Registered and active are one change of inventory's: either may come first.
            bool Registered(LiveMessage m) => m.Type == "worker.registered" && Mine(m.Body);
            bool Active(LiveMessage m) => m.Type == "worker.status_changed" && Mine(m.Body) && m.Body["new_status"]!.GetValue<string>() == "active";
            await live.WaitForAsync(_ => live.Received.Any(Registered) && live.Received.Any(Active), "the agent registers and the worker becomes active");
            Assert.Equal("active", live.Received.Single(Active).Body["worker"]!["status"]!.GetValue<string>());

            var (_, drainedAt) = await TimedAsync(http.PostAsJsonAsync($"/api/v1/workers/{workerId}/drain", new { deadline_seconds = 600, max_parallel = 1 }), 200);
            var draining = await live.WaitForAsync("worker.status_changed", d => Mine(d) && d["new_status"]!.GetValue<string>() == "draining", "drain");
            Assert.Equal("active", draining.Body["old_status"]!.GetValue<string>());
            delays.Add(AssertPrompt(draining, drainedAt, "drain"));
            var (_, activatedAt) = await TimedAsync(http.PostAsync($"/api/v1/workers/{workerId}/activate", null), 200);
            var activated = await live.WaitForAsync("worker.status_changed", d => Mine(d) && d["new_status"]!.GetValue<string>() == "active", "activate");
            Assert.Equal("draining", activated.Body["old_status"]!.GetValue<string>());
            delays.Add(AssertPrompt(activated, activatedAt, "activate"));

            // The system's first rent runs cold code in lease, the scheduler and the agent (JIT of a Debug build:
            // seconds on a busy 2-core machine, before anything commits); the stream's promise is about
            // changes made, so one rent warms that path up and its events are timed by the second's standard.
            var warmUp = await RentUntilRunningAsync(http, live, zone);
            warmUpIds.UnionWith(warmUp);
            var (_, warmReleasedAt) = await TimedAsync(http.PostAsync($"/api/v1/leases/{warmUp[0]}/release", null), 200);
            delays.Add(AssertPrompt(await live.WaitForAsync("lease.released", d => Id(d, "lease_id") == warmUp[0], "lease.released"), warmReleasedAt, "release (warm-up)"));

            var (lease, rentedAt) = await TimedAsync(http.PostAsJsonAsync("/api/v1/leases",
                new { duration_hours = 1, count = 1, spec = new { cpu_cores = 1, memory_mb = 256, disk_gb = 1, zone } }), 201);
            var leaseId = Id(lease);
            delays.Add(AssertPrompt(await live.WaitForAsync("lease.created", d => Id(d, "lease_id") == leaseId, "lease.created"), rentedAt, "rent"));
            // The VM is the scheduler's change, made when it takes lease's CreateVm: timed from that (below), and shown from the rent.
            var requested = await live.FindOrWaitAsync("vm.requested", d => Id(d, "lease_id") == leaseId, "vm.requested");
            output.WriteLine($"rent: vm.requested {(requested.ReceivedAt - rentedAt).TotalMilliseconds:0} ms after the API's response (through lease and the scheduler)");
            var vmId = Id(requested.Body, "vm_id");
            var scheduled = await live.FindOrWaitAsync("vm.scheduled", d => Id(d, "vm_id") == vmId, "vm.scheduled");
            Assert.Equal(workerId, Id(scheduled.Body, "worker_id"));
            var running = await live.FindOrWaitAsync("vm.state_changed", d => Id(d, "vm_id") == vmId && d["status"]!.GetValue<string>() == "running", "the VM runs");
            Assert.Equal(workerId, Id(running.Body, "worker_id"));
            Assert.True(live.Received.IndexOf(requested) < live.Received.IndexOf(scheduled) && live.Received.IndexOf(scheduled) < live.Received.IndexOf(running));

            var (_, releasedAt) = await TimedAsync(http.PostAsync($"/api/v1/leases/{leaseId}/release", null), 200);
            delays.Add(AssertPrompt(await live.WaitForAsync("lease.released", d => Id(d, "lease_id") == leaseId, "lease.released"), releasedAt, "release"));
            // The worker's last VM: the agent's heartbeat applying the new desired state confirms its removal.
            await live.WaitForAsync("vm.deleted", d => Id(d, "vm_id") == vmId, "the VM is deleted", TimeSpan.FromSeconds(60));
        }
        finally
        {
            await agentStop.CancelAsync();
            await agent;
        }

        output.WriteLine($"{delays.Count} events caused by API calls: mean {delays.Average(d => d.TotalMilliseconds):0} ms, max {delays.Max().TotalMilliseconds:0} ms after the response");
        // Every other event, those of the agent's and the scheduler's doing, within a second of the change it tells
        // of. (An API-caused event's occurred_at is stamped when the request began: its own time in the service is
        // not the stream's, so those are held to a second after the response, above.)
        var events = live.Events.ToList();
        foreach (var e in events) output.WriteLine($"{e.Id,3} {e.Type,-24} {e.SinceOccurred.TotalMilliseconds,6:0} ms after it occurred");
        bool OfWarmUp(LiveMessage e) => new[] { e.Body["lease_id"], e.Body["vm_id"], e.Body["worker"]?["worker_id"] }
            .Any(v => v is JsonValue id && warmUpIds.Contains(id.GetValue<string>()));
        Assert.All(events.Where(e => !OfWarmUp(e) && !_timedByResponse.Contains(e)), e => Assert.True(e.SinceOccurred < Second, $"{e.Type} came {e.SinceOccurred.TotalMilliseconds:0} ms after it occurred"));
        // Only this organisation's events, numbered 1, 2, 3… in the order they came.
        Assert.All(events, e => Assert.Equal(tenant.OrganizationId.ToString(), e.OrganizationId));
        Assert.Equal(Enumerable.Range(1, events.Count).Select(i => (long?)i), events.Select(e => e.Id));
        Assert.All(events, e =>
        {
            Assert.Equal(e.Type, e.Data["type"]!.GetValue<string>());
            Assert.NotNull(e.Data["occurred_at"]);
        });
    }

    [Fact]
    public async Task A_tenant_never_sees_another_organisations_events_and_an_admin_sees_both()
    {
        var a = await Api.NewTenantAsync(system.Gateway(), "live-a");
        var b = await Api.NewTenantAsync(system.Gateway(), "live-b");
        var adminToken = await Api.AdminTokenAsync(system.Gateway());
        await using var aLive = await SseStream.OpenAsync(Gateway, a.AccessToken);
        await using var bLive = await SseStream.OpenAsync(Gateway, b.AccessToken);
        await using var adminLive = await HubStream.OpenAsync(Gateway, adminToken);
        foreach (var live in new LiveStream[] { aLive, bLive, adminLive }) await SnapshotAsync(live);

        var bWorker = Id(await Api.ReadAsync(await system.Gateway(b.AccessToken).PostAsJsonAsync("/api/v1/workers", new { name = "b-box" }), 201));
        var aWorker = Id(await Api.ReadAsync(await system.Gateway(a.AccessToken).PostAsJsonAsync("/api/v1/workers", new { name = "a-box" }), 201));
        bool Created(LiveMessage m, string id) => m.Type == "worker.created" && m.Body["worker"]!["worker_id"]!.GetValue<string>() == id;
        await adminLive.WaitForAsync(m => Created(m, bWorker) || Created(m, aWorker), "the admin sees the first worker");
        await adminLive.WaitForAsync(m => adminLive.Received.Any(x => Created(x, bWorker)) && adminLive.Received.Any(x => Created(x, aWorker)), "the admin sees both workers");

        // Created once the gateway had both: had the other's event been sent to a tenant, it would have come before these.
        var aMarker = Id(await Api.ReadAsync(await system.Gateway(a.AccessToken).PostAsJsonAsync("/api/v1/workers", new { name = "a-marker" }), 201));
        var bMarker = Id(await Api.ReadAsync(await system.Gateway(b.AccessToken).PostAsJsonAsync("/api/v1/workers", new { name = "b-marker" }), 201));
        await aLive.WaitForAsync(m => Created(m, aMarker), "tenant A sees its marker");
        await bLive.WaitForAsync(m => Created(m, bMarker), "tenant B sees its marker");

        Assert.Contains(aLive.Events, m => Created(m, aWorker));
        Assert.All(aLive.Events, m => Assert.Equal(a.OrganizationId.ToString(), m.OrganizationId));
        Assert.Contains(bLive.Events, m => Created(m, bWorker));
        Assert.All(bLive.Events, m => Assert.Equal(b.OrganizationId.ToString(), m.OrganizationId));
        var adminOrganizations = adminLive.Events.Select(m => m.OrganizationId).ToHashSet();
        Assert.Contains(a.OrganizationId.ToString(), adminOrganizations);
        Assert.Contains(b.OrganizationId.ToString(), adminOrganizations);

        // Snapshots are scoped alike.
        await using var aAgain = await SseStream.OpenAsync(Gateway, a.AccessToken);
        Assert.Equal(new[] { aWorker, aMarker }.Order(), Ids(await SnapshotAsync(aAgain), "workers").Order());
        await using var adminAgain = await SseStream.OpenAsync(Gateway, adminToken);
        var all = Ids(await SnapshotAsync(adminAgain), "workers").ToHashSet();
        Assert.Superset(new[] { aWorker, aMarker, bWorker, bMarker }.ToHashSet(), all);
    }

    [Fact]
    public async Task A_client_that_reconnects_gets_a_fresh_snapshot_with_what_changed_while_it_was_away()
    {
        var tenant = await Api.NewTenantAsync(system.Gateway());
        var http = system.Gateway(tenant.AccessToken);
        string first;
        await using (var live = await SseStream.OpenAsync(Gateway, tenant.AccessToken))
        {
            await SnapshotAsync(live);
            first = Id(await Api.ReadAsync(await http.PostAsJsonAsync("/api/v1/workers", new { name = "before" }), 201));
            await live.WaitForAsync("worker.created", d => d["worker"]!["worker_id"]!.GetValue<string>() == first, "the first worker");
        }

        // Away: a worker comes, the first one goes.
        var second = Id(await Api.ReadAsync(await http.PostAsJsonAsync("/api/v1/workers", new { name = "while-away" }), 201));
        Assert.True((await http.DeleteAsync($"/api/v1/workers/{first}")).IsSuccessStatusCode);

        await using var again = await HubStream.OpenAsync(Gateway, tenant.AccessToken);
        var snapshot = await SnapshotAsync(again);
        Assert.Equal([second], Ids(snapshot, "workers"));
        // In the shape GET /api/v1/workers lists it.
        var listed = (await Api.ReadAsync(await http.GetAsync("/api/v1/workers"), 200))["workers"]!.AsArray().Single()!.AsObject();
        Assert.Equal(listed.Select(p => p.Key).Order(), snapshot["workers"]![0]!.AsObject().Select(p => p.Key).Order());
        Assert.Equal(Id(listed), Id(snapshot["workers"]![0]!.AsObject()));

        await using var sse = await SseStream.OpenAsync(Gateway, tenant.AccessToken);
        Assert.Equal([second], Ids(await SnapshotAsync(sse), "workers"));
        var third = Id(await Api.ReadAsync(await http.PostAsJsonAsync("/api/v1/workers", new { name = "after" }), 201));
        await sse.WaitForAsync("worker.created", d => d["worker"]!["worker_id"]!.GetValue<string>() == third, "a new worker after reconnecting");
        // Each connection numbers its own events from 1. (An event of what changed while away may still come after the
        // snapshot that already shows it: at least once, and harmless to a client that applies it.)
        Assert.Equal(Enumerable.Range(1, sse.Events.Count()).Select(i => (long?)i), sse.Events.Select(e => e.Id));
    }

    [Fact]
    public async Task Both_transports_take_the_token_in_the_query_string_and_deliver_the_same_envelope_within_a_second()
    {
        var tenant = await Api.NewTenantAsync(system.Gateway());
        await using var sse = await SseStream.OpenAsync(Gateway, tenant.AccessToken, tokenInQuery: true);
        await using var hub = await HubStream.OpenAsync(Gateway, tenant.AccessToken, tokenInQuery: true);
        var (sseSnapshot, hubSnapshot) = (await SnapshotAsync(sse), await SnapshotAsync(hub));
        Assert.Equal(sseSnapshot.Select(p => p.Key).Order(), hubSnapshot.Select(p => p.Key).Order());

        var (worker, at) = await TimedAsync(system.Gateway(tenant.AccessToken).PostAsJsonAsync("/api/v1/workers", new { name = "both", labels = new Dictionary<string, string> { ["team"] = "live" } }), 201);
        var id = Id(worker);
        var viaSse = await sse.WaitForAsync("worker.created", d => d["worker"]!["worker_id"]!.GetValue<string>() == id, "SSE");
        var viaHub = await hub.WaitForAsync("worker.created", d => d["worker"]!["worker_id"]!.GetValue<string>() == id, "SignalR");
        AssertPrompt(viaSse, at, "SSE");
        AssertPrompt(viaHub, at, "SignalR");
        Assert.True(JsonNode.DeepEquals(viaSse.Data, viaHub.Data), $"SSE {viaSse.Data.ToJsonString()} vs SignalR {viaHub.Data.ToJsonString()}");
        Assert.Equal(tenant.OrganizationId.ToString(), viaHub.OrganizationId);
        Assert.Equal("live", viaHub.Body["worker"]!["labels"]!["team"]!.GetValue<string>()); // label keys as given, not snake_cased
        Assert.Equal("pending", viaHub.Body["worker"]!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Without_a_valid_user_token_both_endpoints_answer_401_or_403_problems()
    {
        var tenant = await Api.NewTenantAsync(system.Gateway());
        var mangled = tenant.AccessToken[..^4] + (tenant.AccessToken.EndsWith("AAAA") ? "BBBB" : "AAAA");
        using var anonymous = system.Gateway();
        async Task AssertRefused(HttpResponseMessage response, HttpStatusCode status, string what)
        {
            Assert.True(response.StatusCode == status, $"{what}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
        await AssertRefused(await anonymous.GetAsync("/api/v1/events"), HttpStatusCode.Unauthorized, "no token");
        await AssertRefused(await system.Gateway(mangled).GetAsync("/api/v1/events"), HttpStatusCode.Unauthorized, "bad header token");
        await AssertRefused(await anonymous.GetAsync($"/api/v1/events?access_token={mangled}"), HttpStatusCode.Unauthorized, "bad query token");
        await AssertRefused(await anonymous.PostAsync("/api/v1/hub/negotiate?negotiateVersion=1", null), HttpStatusCode.Unauthorized, "negotiate without token");
        await AssertRefused(await anonymous.PostAsync($"/api/v1/hub/negotiate?negotiateVersion=1&access_token={mangled}", null), HttpStatusCode.Unauthorized, "negotiate, bad token");
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => HubStream.OpenAsync(Gateway, mangled));
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);

        // A worker's token is no user's: it may not watch its organisation.
        var http = system.Gateway(tenant.AccessToken);
        var worker = Id(await Api.ReadAsync(await http.PostAsJsonAsync("/api/v1/workers", new { name = "not-a-user" }), 201));
        var workerToken = (await Api.ReadAsync(await http.PostAsJsonAsync($"/api/v1/workers/{worker}/token", new { }), 200))["token"]!.GetValue<string>();
        await AssertRefused(await system.Gateway(workerToken).GetAsync("/api/v1/events"), HttpStatusCode.Forbidden, "worker token");
    }

    [Fact]
    public async Task A_token_given_in_the_query_string_reaches_no_log_or_trace()
    {
        var tenant = await Api.NewTenantAsync(system.Gateway());
        var gatewayLogs = system.App.Instance(AetheriumModel.Gateway).Logs;
        var before = gatewayLogs.Snapshot().LastOrDefault()?.Sequence ?? 0;
        var traceParent = Traced.NewTraceParent(out var traceId);
        await using (var sse = await SseStream.OpenAsync(Gateway, tenant.AccessToken, tokenInQuery: true, traceParent: traceParent))
            await SnapshotAsync(sse);
        await using (var hub = await HubStream.OpenAsync(Gateway, tenant.AccessToken, tokenInQuery: true))
            await SnapshotAsync(hub);

        // The fixture logs every request the gateway serves (hosting at Information): the stream's are there, without the token.
        await Eventually.TrueAsync(() => Task.FromResult(gatewayLogs.Snapshot(before, "/api/v1/events").Count > 0 && gatewayLogs.Snapshot(before, "/api/v1/hub").Count > 0),
            TimeSpan.FromSeconds(20), "the gateway logs the live requests");
        var signature = tenant.AccessToken.Split('.')[2];
        Assert.Empty(gatewayLogs.Snapshot(before, signature));
        var telemetry = system.App.Telemetry!;
        var trace = await Eventually.GetAsync(() => Task.FromResult(telemetry.Spans.Trace(traceId)),
            spans => spans.Any(s => s.Source.Service == "gateway" && s.Kind == "Server" && s.Attributes.Any(x => x.Key == "url.path" && x.Value == "/api/v1/events")),
            TimeSpan.FromSeconds(30), "the stream's span arrives over OTLP");
        Assert.DoesNotContain(trace.SelectMany(s => s.Attributes), x => x.Value.Contains(signature));
        Assert.Empty(telemetry.Logs.Query(new Hosting.Telemetry.LogQuery(Text: signature, Limit: 10)));
        Assert.NotEmpty(telemetry.Logs.Query(new Hosting.Telemetry.LogQuery(Service: AetheriumModel.Gateway, Text: "/api/v1/events", Limit: 10)));
    }

    [Fact]
    public async Task A_quiet_stream_gets_keep_alive_comments()
    {
        var tenant = await Api.NewTenantAsync(system.Gateway());
        await using var live = await SseStream.OpenAsync(Gateway, tenant.AccessToken);
        await SnapshotAsync(live);
        var comment = await live.NextAsync(GatewayFixture.LiveKeepAlive * 3);
        Assert.Equal(":comment", comment.Type);
        Assert.Equal("keep-alive", comment.Data["text"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_aggregated_document_describes_both_live_endpoints_behind_the_Bearer_token()
    {
        using var client = system.Gateway();
        var document = JsonNode.Parse(await client.GetStringAsync("/openapi/v1.json"))!.AsObject();
        foreach (var path in new[] { "/api/v1/events", "/api/v1/hub" })
        {
            var get = document["paths"]![path]?["get"];
            Assert.True(get is not null, $"{path} is not in the document");
            Assert.Null(get!["security"]); // the document's Bearer requirement applies
            Assert.Contains(get["parameters"]!.AsArray(), p => p!["name"]!.GetValue<string>() == "access_token");
        }
        Assert.NotNull(document["paths"]!["/api/v1/events"]!["get"]!["responses"]!["200"]!["content"]!["text/event-stream"]);
    }
}
