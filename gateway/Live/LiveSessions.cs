using System.Security.Claims;
using System.Text.Json.Nodes;

namespace Aetherium.Gateway.Live;

/// <summary>A live connection's start: subscribed first, then the snapshot, so nothing falls between the two.</summary>
public sealed record LiveSession(LiveSubscription Subscription, JsonObject Snapshot) : IDisposable
{
    public void Dispose() => Subscription.Dispose();
}

/// <summary>The live stream could not start; <see cref="Exception.Message"/> says why, for the client.</summary>
public sealed class LiveUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

public sealed class LiveSessions(LiveFanOut fanOut, LiveSnapshot snapshots, TimeProvider clock, ILogger<LiveSessions> log)
{
    /// <summary>
    /// Subscribes <paramref name="user"/> to the fan-out, then takes the snapshot with its token. Events of
    /// the meantime wait in the subscription's buffer and follow the snapshot; a change can be in both,
    /// never in neither.
    /// </summary>
    public async Task<LiveSession> OpenAsync(ClaimsPrincipal user, string token, CancellationToken ct)
    {
        if (!await fanOut.WaitReadyAsync(ct))
            throw new LiveUnavailableException("The gateway is not receiving events right now.");
        var subscription = fanOut.Subscribe(user);
        try
        {
            var snapshot = await snapshots.TakeAsync(token, clock.GetUtcNow(), ct);
            return new LiveSession(subscription, snapshot);
        }
        catch (LiveSnapshotException ex)
        {
            subscription.Dispose();
            log.LogWarning("Live snapshot failed: {Error}", ex.Message);
            throw new LiveUnavailableException("The current state could not be read from the services.", ex);
        }
        catch
        {
            subscription.Dispose();
            throw;
        }
    }
}
