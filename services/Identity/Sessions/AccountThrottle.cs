using Aetherium.Identity.Http;
using Aetherium.Identity.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Aetherium.Identity.Sessions;

/// <summary>The password sign-in attempts of one account name since its last success (table <c>sign_in_throttles</c>).</summary>
public sealed class SignInThrottle
{
    /// <summary>SHA-256 of the normalised username: a name typed by mistake (a password, say) is not kept readable.</summary>
    public required string AccountHash { get; set; }
    public int Failures { get; set; }
    public DateTimeOffset LastAttemptAt { get; set; }
    public DateTimeOffset? LockedUntil { get; set; }
}

/// <summary>
/// Password guessing is limited per account, whatever the client's address or the token it carries, and
/// in identity's database, so every replica counts together. An attempt is counted before its password is
/// checked (parallel guesses cannot slip past the count) and a success clears the count. From the
/// <see cref="Limits.FreeFailures"/>th attempt in a row without a success the account is locked for
/// <see cref="Limits.FirstLock"/>, doubling with each further failure up to <see cref="Limits.MaxLock"/>; while
/// locked, every attempt, the right password included, is refused with 429 and Retry-After, unchecked and
/// uncounted. Unknown names are counted alike, so the answers do not tell which accounts exist. A count
/// left alone for <see cref="Limits.ForgetAfter"/> starts again.
/// </summary>
public sealed class AccountThrottle(IdentityDbContext db, IOptions<AccountThrottle.Limits> options)
{
    /// <summary>Configuration <c>RateLimits:Account</c>.</summary>
    public sealed class Limits
    {
        public int FreeFailures { get; set; } = 5;
        public TimeSpan FirstLock { get; set; } = TimeSpan.FromSeconds(30);
        public TimeSpan MaxLock { get; set; } = TimeSpan.FromMinutes(15);
        public TimeSpan ForgetAfter { get; set; } = TimeSpan.FromHours(1);
    }

    /// <summary>Counts an attempt for <paramref name="username"/> (normalised); null when it may go ahead, else how long the account stays locked.</summary>
    public async Task<TimeSpan?> BeginAttemptAsync(string username, CancellationToken ct)
    {
        var limits = options.Value;
        var key = Secrets.Hash(username);
        var now = DateTimeOffset.UtcNow;
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        // One statement makes the row exist and locks it, so attempts at once take turns on it, also while a
        // success beside them deletes it (an insert, then a separate SELECT … FOR UPDATE, could find it gone).
        var row = (await db.SignInThrottles.FromSql($"""
            INSERT INTO sign_in_throttles (account_hash, failures, last_attempt_at) VALUES ({key}, 0, {now})
            ON CONFLICT (account_hash) DO UPDATE SET account_hash = EXCLUDED.account_hash
            RETURNING *
            """).AsTracking().ToListAsync(ct)).Single();
        if (row.LockedUntil is { } until && until > now) return until - now;

        row.Failures = row.LastAttemptAt < now - limits.ForgetAfter ? 1 : row.Failures + 1;
        row.LastAttemptAt = now;
        row.LockedUntil = row.Failures >= limits.FreeFailures ? now + LockFor(row.Failures - limits.FreeFailures, limits) : null;
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return null;
    }

    /// <summary>The password was right: the account starts afresh.</summary>
    public Task SucceededAsync(string username, CancellationToken ct)
    {
        var key = Secrets.Hash(username);
        return db.SignInThrottles.Where(t => t.AccountHash == key).ExecuteDeleteAsync(ct);
    }

    /// <summary>Rows no attempt will read again (for housekeeping).</summary>
    public static IQueryable<SignInThrottle> Forgotten(IdentityDbContext db, Limits limits, DateTimeOffset now)
    {
        var before = now - (limits.ForgetAfter > limits.MaxLock ? limits.ForgetAfter : limits.MaxLock);
        return db.SignInThrottles.Where(t => t.LastAttemptAt < before);
    }

    private static TimeSpan LockFor(int doublings, Limits limits)
    {
        var lockFor = limits.FirstLock * Math.Pow(2, Math.Min(doublings, 20));
        return lockFor < limits.MaxLock ? lockFor : limits.MaxLock;
    }
}
