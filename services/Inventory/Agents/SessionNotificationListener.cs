using System.Threading.Channels;
using Aetherium.Contracts;
using Aetherium.Contracts.Agent;
using Aetherium.Inventory.Persistence;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Aetherium.Inventory.Agents;

/// <summary>
/// LISTENs on a dedicated connection for <see cref="SessionNotices"/> from any replica and acts on the
/// sessions this replica holds: pushes a new desired state, closes a revoked or deactivated session.
/// After a reconnect every local session is checked again, since notices sent meanwhile were missed.
/// </summary>
public sealed class SessionNotificationListener(
    IConfiguration configuration,
    IServiceScopeFactory scopes,
    SessionRegistry sessions,
    DesiredStatePusher pusher,
    AgentLifecycle lifecycle,
    ILogger<SessionNotificationListener> log) : BackgroundService
{
    private readonly Channel<(string Channel, string Payload)> _notices = Channel.CreateUnbounded<(string, string)>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>True while LISTEN is active (tests wait for it before relying on notices).</summary>
    public bool Listening { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var dispatch = Task.Run(() => DispatchAsync(stoppingToken), CancellationToken.None);
        var cs = configuration.GetConnectionString("inventorydb") ?? throw new InvalidOperationException("ConnectionStrings:inventorydb is not configured.");
        var backoff = TimeSpan.FromMilliseconds(200);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var conn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(cs) { Pooling = false, ApplicationName = "inventory-listen", KeepAlive = 15 }.ConnectionString);
                await conn.OpenAsync(stoppingToken);
                conn.Notification += (_, e) => _notices.Writer.TryWrite((e.Channel, e.Payload));
                await using (var cmd = new NpgsqlCommand($"LISTEN {SessionNotices.DesiredChannel}; LISTEN {SessionNotices.CloseChannel};", conn))
                    await cmd.ExecuteNonQueryAsync(stoppingToken);
                Listening = true;
                backoff = TimeSpan.FromMilliseconds(200);
                _ = Task.Run(() => ResyncAsync(stoppingToken), CancellationToken.None);
                while (!stoppingToken.IsCancellationRequested)
                    await conn.WaitAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                log.LogWarning("Session notices connection lost, reconnecting in {Backoff} ms: {Error}", (int)backoff.TotalMilliseconds, ex.Message);
                Listening = false;
                try { await Task.Delay(backoff, stoppingToken); } catch (OperationCanceledException) { break; }
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
            }
        }
        Listening = false;
        _notices.Writer.TryComplete();
        await dispatch;
    }

    private async Task DispatchAsync(CancellationToken ct)
    {
        try
        {
            await foreach (var (channel, payload) in _notices.Reader.ReadAllAsync(ct))
            {
                try
                {
                    Handle(channel, payload);
                }
                catch (Exception ex)
                {
                    log.LogWarning("Could not act on notice {Channel} '{Payload}': {Error}", channel, payload, ex.Message);
                }
            }
        }
        catch (OperationCanceledException) { }
    }

    private void Handle(string channel, string payload)
    {
        if (channel == SessionNotices.DesiredChannel)
        {
            var parts = payload.Split(':');
            if (parts.Length == 2 && Guid.TryParse(parts[0], out var worker) && long.TryParse(parts[1], out var version))
                pusher.Announce(worker, version);
            return;
        }
        if (channel != SessionNotices.CloseChannel) return;
        var p = payload.Split(':');
        if (p is ["token", var t] && Guid.TryParse(t, out var tokenId))
        {
            foreach (var s in sessions.All.Where(s => s.Agent.TokenId == tokenId))
                _ = s.CloseAsync(AckErrorCodes.TokenRevoked, "The worker token was revoked.");
        }
        else if (p is ["worker", var w, var code] && Guid.TryParse(w, out var workerId) && sessions.TryGet(workerId, out var session))
        {
            _ = session.CloseAsync(code, code == AckErrorCodes.WorkerInactive
                ? "The worker was put in maintenance; its owner must activate it first."
                : "The worker was deleted; its tokens are revoked.");
        }
    }

    /// <summary>
    /// Notices may have been missed while not listening: end sessions whose token was revoked or whose
    /// worker was deleted or put in maintenance meanwhile, and bring every other one up to date.
    /// </summary>
    private async Task ResyncAsync(CancellationToken ct)
    {
        var local = sessions.All.ToList();
        if (local.Count == 0) return;
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<InventoryDbContext>();
            var tokens = local.Select(s => s.Agent.TokenId).ToList();
            var workers = local.Select(s => s.Agent.WorkerId).ToList();
            var revoked = (await db.RevokedTokens.Where(r => tokens.Contains(r.TokenId)).Select(r => r.TokenId).ToListAsync(ct)).ToHashSet();
            var refused = await db.Workers.Where(w => workers.Contains(w.Id) && (w.DeletedAt != null || w.Status == WorkerStatus.Maintenance))
                .Select(w => new { w.Id, Deleted = w.DeletedAt != null }).ToDictionaryAsync(w => w.Id, w => w.Deleted, ct);
            foreach (var s in local)
            {
                if (revoked.Contains(s.Agent.TokenId)) _ = s.CloseAsync(AckErrorCodes.TokenRevoked, "The worker token was revoked.");
                else if (refused.TryGetValue(s.Agent.WorkerId, out var deleted))
                    _ = s.CloseAsync(deleted ? AckErrorCodes.TokenRevoked : AckErrorCodes.WorkerInactive,
                        deleted ? "The worker was deleted; its tokens are revoked." : "The worker was put in maintenance; its owner must activate it first.");
            }
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            log.LogWarning("Could not re-check the local sessions: {Error}", ex.Message);
        }
        foreach (var session in local.Where(s => s.Registered))
        {
            try
            {
                var desired = await lifecycle.DesiredAsync(session.Agent.WorkerId, ct);
                pusher.Announce(session.Agent.WorkerId, desired.Version);
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                log.LogDebug("Resync of worker {WorkerId} failed: {Error}", session.Agent.WorkerId, ex.Message);
            }
        }
    }
}
