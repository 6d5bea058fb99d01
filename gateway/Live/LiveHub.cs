using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;

namespace Aetherium.Gateway.Live;

/// <summary>
/// <c>/api/v1/hub</c>: the live stream over SignalR (the live contract). On connect the client's
/// <c>snapshot</c> is called, then <c>event</c> with each envelope, in order. The hub takes no calls.
/// </summary>
[Authorize(Policy = LiveSetup.Policy)]
public sealed class LiveHub(LiveSessions sessions, IHubContext<LiveHub> hub, ILogger<LiveHub> log) : Hub
{
    public override Task OnConnectedAsync()
    {
        var connection = Context;
        var token = LiveSetup.BearerToken(connection.GetHttpContext()!.Request);
        // Sending runs beside the connection: the hub's own loop must go on reading the client's pings
        // while the snapshot is taken and for as long as events flow.
        _ = PumpAsync(connection, token, hub.Clients.Client(connection.ConnectionId), sessions, log);
        return Task.CompletedTask;
    }

    private static async Task PumpAsync(HubCallerContext connection, string token, ISingleClientProxy client, LiveSessions sessions, ILogger log)
    {
        var ct = connection.ConnectionAborted;
        try
        {
            using var session = await sessions.OpenAsync(connection.User!, token, ct);
            using var dropped = session.Subscription.Dropped.Register(connection.Abort);
            await client.SendAsync("snapshot", session.Snapshot, ct);
            var events = session.Subscription.Events;
            while (await events.WaitToReadAsync(ct))
                while (events.TryRead(out var e))
                    // Awaited one by one: a client that does not read holds this loop up, its buffer fills, and it is dropped.
                    await client.SendAsync("event", e.Element, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // the client went away
        }
        catch (Exception ex)
        {
            log.LogWarning("Live hub connection closed: {Reason}", ex.Message);
            connection.Abort();
        }
    }
}
