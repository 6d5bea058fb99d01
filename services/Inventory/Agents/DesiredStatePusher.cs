using Aetherium.Contracts.Agent;
using Microsoft.Extensions.Options;

namespace Aetherium.Inventory.Agents;

/// <summary>
/// Sends DESIRED_STATE to agents connected here: when a newer version is announced (NOTIFY), and again
/// when a heartbeat shows the agent has not applied the newest one half a heartbeat interval after it
/// was sent (level-triggered: a lost frame costs at most one heartbeat).
/// </summary>
public sealed class DesiredStatePusher(SessionRegistry sessions, AgentLifecycle lifecycle, IOptions<InventoryOptions> options, ILogger<DesiredStatePusher> log)
{
    private readonly long _resendAfterMs = Math.Max(50, (long)options.Value.HeartbeatInterval.TotalMilliseconds / 2);

    /// <summary>A newer desired state exists for <paramref name="workerId"/>; push it if its agent is here.</summary>
    public void Announce(Guid workerId, long version)
    {
        if (!sessions.TryGet(workerId, out var session)) return;
        InterlockedMax(ref session.KnownDesiredVersion, version);
        if (session.Registered) Trigger(session, force: false);
    }

    /// <summary>A heartbeat said which version the agent has applied.</summary>
    public void OnHeartbeat(AgentSession session, long applied)
    {
        if (applied >= Interlocked.Read(ref session.KnownDesiredVersion)) return;
        if (Environment.TickCount64 - Interlocked.Read(ref session.SentDesiredAt) < _resendAfterMs) return;
        Trigger(session, force: true);
    }

    /// <summary>After REGISTER_ACK carried <paramref name="version"/>.</summary>
    public static void MarkSent(AgentSession session, long version)
    {
        InterlockedMax(ref session.KnownDesiredVersion, version);
        Interlocked.Exchange(ref session.SentDesiredVersion, version);
        Interlocked.Exchange(ref session.SentDesiredAt, Environment.TickCount64);
    }

    private void Trigger(AgentSession session, bool force)
    {
        if (Interlocked.Exchange(ref session.Pushing, 1) == 1) return;
        _ = PushAsync(session, force);
    }

    private async Task PushAsync(AgentSession session, bool force)
    {
        var sent = false;
        try
        {
            var desired = await lifecycle.DesiredAsync(session.Agent.WorkerId, session.Ending);
            InterlockedMax(ref session.KnownDesiredVersion, desired.Version);
            if (!force && desired.Version <= Interlocked.Read(ref session.SentDesiredVersion)) return;
            await session.SendAsync(FrameCodec.Encode(FrameTypes.DesiredState, desired));
            MarkSent(session, desired.Version);
            sent = true;
        }
        catch (Exception ex) when (ex is OperationCanceledException || session.Ending.IsCancellationRequested)
        {
            // The session is ending; its next one gets the desired state in REGISTER_ACK.
        }
        catch (Exception ex)
        {
            log.LogWarning("Could not push the desired state to worker {WorkerId}: {Error}", session.Agent.WorkerId, ex.Message);
        }
        finally
        {
            Interlocked.Exchange(ref session.Pushing, 0);
        }
        // A newer version announced while this push was under way.
        if (sent && Interlocked.Read(ref session.KnownDesiredVersion) > Interlocked.Read(ref session.SentDesiredVersion))
            Trigger(session, force: false);
    }

    private static void InterlockedMax(ref long target, long value)
    {
        var current = Interlocked.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current) return;
            current = seen;
        }
    }
}
