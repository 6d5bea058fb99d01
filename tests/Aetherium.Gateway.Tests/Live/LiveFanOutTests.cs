using System.Security.Claims;
using Aetherium.Gateway.Live;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Xunit;

namespace Aetherium.Gateway.Tests.Live;

/// <summary>The gateway's fan-out in-process: what each connection gets, and what a slow one costs the others.</summary>
public sealed class LiveFanOutTests
{
    private static readonly Guid OrgA = Guid.NewGuid(), OrgB = Guid.NewGuid();

    private static LiveFanOut FanOut(int buffer = 1024) =>
        new(Options.Create(new LiveOptions { BufferSize = buffer, ReadyTimeout = TimeSpan.FromMilliseconds(200) }), NullLogger<LiveFanOut>.Instance);

    private static ClaimsPrincipal User(Guid org, params string[] roles) => new(new ClaimsIdentity(
        [new Claim("sub", Guid.NewGuid().ToString()), new Claim("org", org.ToString()), .. roles.Select(r => new Claim("role", r))], "test", "name", "role"));

    private static LiveEvent Event(Guid org, int n) => LiveEvent.Create("worker.created", org, DateTimeOffset.UtcNow, new { n });

    private static List<int> Drain(LiveSubscription s)
    {
        var seen = new List<int>();
        while (s.Events.TryRead(out var e)) seen.Add(e.Element.GetProperty("data").GetProperty("n").GetInt32());
        return seen;
    }

    [Fact]
    public async Task A_client_that_stops_reading_is_dropped_and_the_others_get_every_event_in_order()
    {
        var fanOut = FanOut(buffer: 4);
        using var slow = fanOut.Subscribe(User(OrgA, "user"));
        using var fast = fanOut.Subscribe(User(OrgA, "user"));
        var fastSeen = new List<int>();
        for (var i = 1; i <= 20; i++)
        {
            fanOut.Publish(Guid.NewGuid(), Event(OrgA, i));
            fastSeen.AddRange(Drain(fast));
        }

        Assert.Equal(Enumerable.Range(1, 20), fastSeen);
        Assert.False(fast.Dropped.IsCancellationRequested);
        // The slow one kept what fitted, then was closed: its client reconnects to a fresh snapshot.
        await Task.Delay(TimeSpan.FromSeconds(5), slow.Dropped).ContinueWith(_ => { });
        Assert.True(slow.Dropped.IsCancellationRequested);
        Assert.Equal([1, 2, 3, 4], Drain(slow));
        Assert.True(slow.Events.Completion.IsCompleted);
        Assert.Equal(1, fanOut.Connections);
    }

    [Fact]
    public void Users_get_their_organisations_events_and_admins_everyones()
    {
        var fanOut = FanOut();
        using var a = fanOut.Subscribe(User(OrgA, "user"));
        using var b = fanOut.Subscribe(User(OrgB, "user"));
        using var admin = fanOut.Subscribe(User(OrgB, "admin", "user"));
        fanOut.Publish(Guid.NewGuid(), Event(OrgA, 1));
        fanOut.Publish(Guid.NewGuid(), Event(OrgB, 2));
        fanOut.Publish(Guid.NewGuid(), Event(OrgA, 3));

        Assert.Equal([1, 3], Drain(a));
        Assert.Equal([2], Drain(b));
        Assert.Equal([1, 2, 3], Drain(admin));
    }

    [Fact]
    public void A_redelivered_message_is_sent_once_and_a_closed_connection_gets_nothing_more()
    {
        var fanOut = FanOut();
        var kept = fanOut.Subscribe(User(OrgA, "user"));
        var closed = fanOut.Subscribe(User(OrgA, "user"));
        closed.Dispose();
        var id = Guid.NewGuid();
        fanOut.Publish(id, Event(OrgA, 1));
        fanOut.Publish(id, Event(OrgA, 1));
        fanOut.Publish(Guid.NewGuid(), Event(OrgA, 2));

        Assert.Equal([1, 2], Drain(kept));
        Assert.Empty(Drain(closed));
        Assert.Equal(1, fanOut.Connections);
    }

    [Fact]
    public async Task When_the_queue_stops_every_connection_is_dropped_and_new_ones_wait_until_it_consumes_again()
    {
        var fanOut = FanOut();
        Assert.False(await fanOut.WaitReadyAsync(CancellationToken.None)); // not consuming yet
        fanOut.Ready();
        Assert.True(await fanOut.WaitReadyAsync(CancellationToken.None));
        using var before = fanOut.Subscribe(User(OrgA, "user"));

        fanOut.Interrupted();
        await Task.Delay(TimeSpan.FromSeconds(5), before.Dropped).ContinueWith(_ => { });
        Assert.True(before.Dropped.IsCancellationRequested, "a connection that missed events is closed, not left with a gap");
        Assert.False(await fanOut.WaitReadyAsync(CancellationToken.None));
        var waiting = fanOut.WaitReadyAsync(CancellationToken.None);
        fanOut.Ready();
        Assert.True(await waiting);
    }

    [Fact]
    public void The_envelope_is_the_contracts_with_the_events_fields_in_snake_case()
    {
        var at = DateTimeOffset.Parse("2025-01-02T03:04:05Z");
        var e = LiveEvent.Create("lease.extended", OrgA, at, new Contracts.LeaseExtended(Guid.Empty, OrgA, at.AddHours(1), at));
        var json = System.Text.Json.Nodes.JsonNode.Parse(e.Json)!.AsObject();
        Assert.Equal(["type", "organization_id", "occurred_at", "data"], json.Select(p => p.Key));
        Assert.Equal("lease.extended", json["type"]!.GetValue<string>());
        Assert.Equal(OrgA.ToString(), json["organization_id"]!.GetValue<string>());
        Assert.Equal(at, json["occurred_at"]!.GetValue<DateTimeOffset>());
        Assert.Equal(["lease_id", "organization_id", "new_end", "occurred_at"], json["data"]!.AsObject().Select(p => p.Key));
        Assert.Equal(e.Element.GetRawText(), System.Text.Encoding.UTF8.GetString(e.Json));
    }
}
