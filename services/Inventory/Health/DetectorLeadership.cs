using Microsoft.Extensions.Options;
using Npgsql;

namespace Aetherium.Inventory.Health;

/// <summary>
/// One replica at a time runs the offline detector: the one holding a PostgreSQL advisory lock on its own
/// dedicated connection. The lock dies with that connection, so when the leader stops or crashes another
/// replica takes over within Inventory:LeaderPollInterval. For Inventory:RestartGracePeriod a new leader marks
/// no worker offline that it has not seen since it began (its view of heartbeats is stale while agents reconnect
/// to a restarted control plane); a worker seen since and silent again goes offline after the usual timeout.
/// </summary>
public sealed class DetectorLeadership(
    IConfiguration configuration,
    OfflineDetector detector,
    IOptions<InventoryOptions> options,
    TimeProvider clock,
    ILogger<DetectorLeadership> log) : BackgroundService
{
    /// <summary>Advisory locks are per database, and this database is inventory's alone.</summary>
    private const long LockKey = 0x4165_7468_496E_7644; // "AethInvD"

    public bool IsLeader { get; private set; }
    public DateTimeOffset? GraceUntil { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        var cs = configuration.GetConnectionString("inventorydb") ?? throw new InvalidOperationException("ConnectionStrings:inventorydb is not configured.");
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var conn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(cs) { Pooling = false, ApplicationName = "inventory-leader" }.ConnectionString);
                await conn.OpenAsync(stoppingToken);
                while (!await TryLockAsync(conn, stoppingToken))
                    await Task.Delay(o.LeaderPollInterval, stoppingToken);

                IsLeader = true;
                var since = clock.GetUtcNow();
                var graceUntil = since + o.GracePeriod;
                GraceUntil = graceUntil;
                log.LogInformation("This replica now runs the offline detector; no worker unseen since is marked offline before {GraceUntil:O}", GraceUntil);
                var nextPrune = clock.GetUtcNow();
                while (!stoppingToken.IsCancellationRequested)
                {
                    await PingAsync(conn, stoppingToken); // throws when the lock's connection is gone
                    await detector.SweepAsync(since, graceUntil, stoppingToken);
                    if (clock.GetUtcNow() >= nextPrune)
                    {
                        await detector.PruneMetricsAsync(stoppingToken);
                        nextPrune = clock.GetUtcNow() + PruneEvery(o.MetricsRetention);
                    }
                    await Task.Delay(o.DetectorTick, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                if (IsLeader) log.LogWarning("Offline detector lost its leadership: {Error}", ex.Message);
                else log.LogWarning("Offline detector election failed, retrying: {Error}", ex.Message);
                IsLeader = false;
                GraceUntil = null;
                try { await Task.Delay(o.LeaderPollInterval, stoppingToken); } catch (OperationCanceledException) { return; }
            }
            finally
            {
                IsLeader = false;
            }
        }
    }

    /// <summary>A tenth of the retention, between 1 s and 10 min: samples outlive it by at most that.</summary>
    private static TimeSpan PruneEvery(TimeSpan retention) =>
        TimeSpan.FromTicks(Math.Clamp(retention.Ticks / 10, TimeSpan.FromSeconds(1).Ticks, TimeSpan.FromMinutes(10).Ticks));

    private static async Task<bool> TryLockAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT pg_try_advisory_lock(@key)", conn);
        cmd.Parameters.AddWithValue("key", LockKey);
        return (bool)(await cmd.ExecuteScalarAsync(ct))!;
    }

    private static async Task PingAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT 1", conn);
        await cmd.ExecuteScalarAsync(ct);
    }
}
