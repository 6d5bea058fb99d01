using Aetherium.Lease.Leases;
using Aetherium.Lease.Persistence;
using Aetherium.ServiceDefaults.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Aetherium.Lease.Expiry;

/// <summary>
/// Expires leases at their end (DESIGN §9: VM deletion ordered within 1 s). Every replica runs it: each
/// claims ended leases with <c>FOR UPDATE SKIP LOCKED</c> and, in one transaction, marks them expired and
/// writes DeleteVm per VM and LeaseExpired to the outbox — so a lease expires exactly once, whichever
/// replica gets it, and one that ended while the service was down expires on the first pass after start.
/// Between passes it sleeps until the next end it knows of (at most <see cref="ExpirySettings.PollInterval"/>,
/// so ends written by other replicas are seen), and passes that found work are kept
/// <see cref="ExpirySettings.MinPassInterval"/> apart. A pass that fails on a lease's stored data is run again
/// in halves until that lease is alone: the others expire on the way, and it is quarantined (its
/// <c>expiry_error</c> set, see <see cref="BatchFailures"/>), so the loop never takes it again.
/// </summary>
public sealed class ExpiryLoop(IServiceScopeFactory scopes, IOptions<LeaseSettings> options, ILogger<ExpiryLoop> log) : BackgroundService
{
    /// <summary>Pause when a due lease is held by someone else: never spin.</summary>
    private static readonly TimeSpan Busy = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value.Expiry;
        var backoff = TimeSpan.FromMilliseconds(200);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // One cheap query while nothing is due; a claiming transaction only when something is.
                var wait = await UntilNextEndAsync(settings.PollInterval, stoppingToken);
                backoff = TimeSpan.FromMilliseconds(200);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, stoppingToken);
                    continue;
                }
                var passStarted = DateTimeOffset.UtcNow;
                var expired = await ExpireDueAsync(settings.BatchSize, stoppingToken);
                if (expired >= settings.BatchSize) continue; // more may be due already
                // Nothing claimed although due: another replica (or a release) holds it; do not spin.
                // Something claimed: space passes out, so a busy second's ends share transactions.
                var pause = expired == 0 ? Busy : settings.MinPassInterval - (DateTimeOffset.UtcNow - passStarted);
                if (pause > TimeSpan.Zero) await Task.Delay(pause, stoppingToken);
            }
            catch (Exception) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // On a lease's data the due leases expire in parts and the one to blame is quarantined: no back-off.
                if (BatchFailures.IsDataError(ex) && await IsolateAsync(ex, settings.BatchSize, stoppingToken)) continue;
                log.LogWarning("Lease expiry pass failed, retrying in {Backoff} ms: {Error}", (int)backoff.TotalMilliseconds, ex.Message);
                try { await Task.Delay(backoff, stoppingToken); }
                catch (OperationCanceledException) { return; }
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
            }
        }
    }

    /// <summary>
    /// Expires up to <paramref name="batchSize"/> ended leases (or, <paramref name="only"/>, those of the given ones)
    /// in one transaction; returns how many.
    /// </summary>
    private async Task<int> ExpireDueAsync(int batchSize, CancellationToken ct, IReadOnlyList<Guid>? only = null)
    {
        var started = DateTimeOffset.UtcNow;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LeaseDbContext>();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        // A quarantined lease (expiry_error set) is due for ever: it is left out, so it holds no other back.
        var due = await db.Database.SqlQuery<Guid>(only is null
                ? (FormattableString)$"""
                    SELECT id AS "Value" FROM leases WHERE status = 'active' AND leased_until <= now() AND expiry_error IS NULL
                    ORDER BY leased_until LIMIT {batchSize} FOR UPDATE SKIP LOCKED
                    """
                : $"""
                    SELECT id AS "Value" FROM leases WHERE status = 'active' AND leased_until <= now() AND expiry_error IS NULL
                      AND id = ANY({only.ToArray()})
                    ORDER BY leased_until FOR UPDATE SKIP LOCKED
                    """)
            .ToArrayAsync(ct);
        if (due.Length == 0) return 0;
        var leases = await LeaseEnding.EndAsync(db, due, LeaseStatus.Expired, Clock.Now(), ct);
        await tx.CommitAsync(ct);

        var committed = DateTimeOffset.UtcNow;
        var maxLag = TimeSpan.Zero;
        foreach (var lease in leases)
        {
            var lag = committed - lease.LeasedUntil;
            if (lag > maxLag) maxLag = lag;
            LeaseMetrics.ExpiryLag.Record(lag.TotalSeconds);
            log.LogDebug("Lease {LeaseId} expired {LagMs} ms after its end", lease.Id, (long)lag.TotalMilliseconds);
        }
        LeaseMetrics.Expired.Add(leases.Count);
        log.LogInformation("Expired {Count} lease(s) in {ElapsedMs} ms, at most {MaxLagMs} ms after their end",
            leases.Count, (long)(committed - started).TotalMilliseconds, (long)maxLag.TotalMilliseconds);
        return leases.Count;
    }

    /// <summary>
    /// The isolation path, taken only after a pass failed on a lease's data: expires the due leases in halves and
    /// quarantines each lease that fails alone. Returns false when a transient failure stopped it (back off).
    /// </summary>
    private async Task<bool> IsolateAsync(Exception error, int batchSize, CancellationToken ct)
    {
        log.LogWarning("Lease expiry pass failed on a lease's stored data; expiring in parts to find that lease: {Error}", BatchFailures.Describe(error));
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<LeaseDbContext>();
            var due = await db.Database.SqlQuery<Guid>($"""
                SELECT id AS "Value" FROM leases WHERE status = 'active' AND leased_until <= now() AND expiry_error IS NULL
                ORDER BY leased_until LIMIT {batchSize}
                """).ToListAsync(ct);
            var failed = await BatchFailures.IsolateAsync(due, (ids, token) => ExpireDueAsync(batchSize, token, ids), ct);
            foreach (var (id, leaseError) in failed)
            {
                var reason = BatchFailures.Describe(leaseError, 1000);
                await db.Database.ExecuteSqlAsync($"UPDATE leases SET expiry_error = {reason} WHERE id = {id} AND status = 'active'", ct);
                log.LogWarning("Lease {LeaseId} quarantined: expiring it failed on its stored data, the other leases expired without it; it stays active until its row is fixed and expiry_error cleared: {Error}",
                    id, reason);
            }
            return true;
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            log.LogWarning("Lease expiry isolation stopped; the pass is retried later: {Error}", BatchFailures.Describe(ex));
            return false;
        }
    }

    /// <summary>
    /// Time until the earliest end among active leases (database clock), capped at the poll interval;
    /// zero or less when one is due.
    /// </summary>
    private async Task<TimeSpan> UntilNextEndAsync(TimeSpan poll, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LeaseDbContext>();
        var seconds = await db.Database
            .SqlQuery<double?>($"SELECT EXTRACT(EPOCH FROM min(leased_until) - clock_timestamp())::float8 AS \"Value\" FROM leases WHERE status = 'active' AND expiry_error IS NULL")
            .SingleAsync(ct);
        if (seconds is null) return poll;
        var wait = TimeSpan.FromSeconds(seconds.Value);
        return wait < poll ? wait : poll;
    }
}
