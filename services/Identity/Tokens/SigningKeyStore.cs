using System.Security.Cryptography;
using Aetherium.Identity.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.IdentityModel.Tokens;

namespace Aetherium.Identity.Tokens;

/// <summary>
/// The signing keys, kept in the identity database and cached in memory. Replicas share the table;
/// changes to it happen under a PostgreSQL advisory lock, so two replicas never rotate at once.
/// </summary>
public sealed class SigningKeyStore(IServiceScopeFactory scopes, JwtSettings settings, ILogger<SigningKeyStore> log)
{
    public const string Algorithm = SecurityAlgorithms.EcdsaSha256;
    private const long LockId = 0x1D_E7_17_01;
    private readonly SemaphoreSlim _reload = new(1, 1);
    private volatile KeySet? _keys;
    private volatile bool _refreshRequested;
    private DateTimeOffset _lastForcedReload;
    /// <summary>Keys left out of the last load because they cannot be read (each warned about once).</summary>
    private HashSet<string> _unreadable = [];

    /// <summary>The signing key and every key a validator must know, as loaded at <see cref="LoadedAt"/>.</summary>
    public sealed record KeySet(ECDsaSecurityKey Current, IReadOnlyList<ECDsaSecurityKey> Published, DateTimeOffset CurrentSince, DateTimeOffset LoadedAt);

    public async Task<KeySet> GetAsync(CancellationToken ct = default)
    {
        var keys = _keys;
        var now = DateTimeOffset.UtcNow;
        if (keys is not null && now - keys.LoadedAt < settings.KeyReloadInterval && !_refreshRequested) return keys;
        await _reload.WaitAsync(ct);
        try
        {
            keys = _keys;
            if (keys is not null && DateTimeOffset.UtcNow - keys.LoadedAt < settings.KeyReloadInterval && !_refreshRequested) return keys;
            return await ReloadAsync(ct);
        }
        finally { _reload.Release(); }
    }

    /// <summary>A validator met an unknown kid: re-read the table on next use, at most once a second.</summary>
    public void RequestRefresh()
    {
        var now = DateTimeOffset.UtcNow;
        if (now - _lastForcedReload < TimeSpan.FromSeconds(1)) return;
        _lastForcedReload = now;
        _refreshRequested = true;
    }

    /// <summary>Makes sure a signing key and a next key exist (first start, or after a crash between steps).</summary>
    public async Task InitializeAsync(CancellationToken ct)
    {
        await WithLockAsync(async (db, now) =>
        {
            if (!await db.SigningKeys.AnyAsync(k => k.ActivatedAt != null && k.RetiredAt == null, ct))
            {
                db.SigningKeys.Add(NewKey(now, activated: true));
                log.LogInformation("Created the first signing key");
            }
            if (!await db.SigningKeys.AnyAsync(k => k.ActivatedAt == null, ct))
                db.SigningKeys.Add(NewKey(now, activated: false));
        }, ct);
        await ReloadAsync(ct);
    }

    /// <summary>Retires the signing key, activates the next one and creates a new next. Returns the new signing kid.</summary>
    public async Task<string> RotateAsync(bool onlyIfDue, CancellationToken ct)
    {
        string kid = "";
        await WithLockAsync(async (db, now) =>
        {
            var current = await db.SigningKeys.SingleOrDefaultAsync(k => k.ActivatedAt != null && k.RetiredAt == null, ct);
            if (onlyIfDue && current is not null && now - current.ActivatedAt < settings.KeyRotationInterval)
            {
                kid = current.Id;
                return;
            }
            var next = await db.SigningKeys.Where(k => k.ActivatedAt == null).OrderBy(k => k.CreatedAt).FirstOrDefaultAsync(ct);
            if (next is null) db.SigningKeys.Add(next = NewKey(now, activated: false));
            if (current is not null) current.RetiredAt = now;
            next.ActivatedAt = now;
            db.SigningKeys.Add(NewKey(now, activated: false));
            kid = next.Id;

            // Keys no validator needs any more: retired long enough and signing no live worker token.
            var cutoff = now - settings.RetiredKeyRetention;
            await db.SigningKeys
                .Where(k => k.RetiredAt != null && k.RetiredAt < cutoff)
                .Where(k => !db.WorkerTokens.Any(t => t.KeyId == k.Id && t.ExpiresAt > now && t.RevokedAt == null))
                .ExecuteDeleteAsync(ct);
            log.LogInformation("Rotated the signing key: {KeyId} now signs", kid);
        }, ct);
        await ReloadAsync(ct);
        return kid;
    }

    private async Task WithLockAsync(Func<IdentityDbContext, DateTimeOffset, Task> change, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<IdentityDbContext>();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({LockId})", ct);
        await change(db, DateTimeOffset.UtcNow);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
    }

    private async Task<KeySet> ReloadAsync(CancellationToken ct)
    {
        _refreshRequested = false;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<IdentityDbContext>();
        var now = DateTimeOffset.UtcNow;
        var cutoff = now - settings.RetiredKeyRetention;
        var rows = await db.SigningKeys.AsNoTracking()
            .Where(k => k.RetiredAt == null || k.RetiredAt > cutoff
                        || db.WorkerTokens.Any(t => t.KeyId == k.Id && t.ExpiresAt > now && t.RevokedAt == null))
            .OrderByDescending(k => k.CreatedAt)
            .ToListAsync(ct);
        var current = rows.FirstOrDefault(k => k.ActivatedAt != null && k.RetiredAt == null)
            ?? throw new InvalidOperationException("No signing key: the key store was not initialised.");
        var keys = new KeySet(PrivateKey(current), Published(rows, current), current.ActivatedAt!.Value, now);
        _keys = keys;
        return keys;
    }

    /// <summary>
    /// The public keys of <paramref name="rows"/>. One whose stored key cannot be read (truncated or corrupted by hand
    /// or an old version) is left out with one warning naming it, so the tokens it signed are refused and every other
    /// key keeps working; the signing key itself must be readable (<see cref="PrivateKey"/> throws).
    /// </summary>
    private List<ECDsaSecurityKey> Published(List<SigningKey> rows, SigningKey current)
    {
        var published = new List<ECDsaSecurityKey>(rows.Count);
        var unreadable = new HashSet<string>();
        foreach (var row in rows)
        {
            try
            {
                published.Add(PublicKey(row));
            }
            catch (CryptographicException ex) when (row != current)
            {
                unreadable.Add(row.Id);
                if (!_unreadable.Contains(row.Id))
                    log.LogWarning("Signing key {KeyId} left out of the published keys: its stored key cannot be read, so tokens it signed are refused: {Error}",
                        row.Id, ex.Message);
            }
        }
        _unreadable = unreadable;
        return published;
    }

    private static SigningKey NewKey(DateTimeOffset now, bool activated)
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return new SigningKey
        {
            Id = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(12)),
            Algorithm = Algorithm,
            PrivateKey = ec.ExportPkcs8PrivateKey(),
            CreatedAt = now,
            ActivatedAt = activated ? now : null,
        };
    }

    private static ECDsaSecurityKey PrivateKey(SigningKey row)
    {
        var ec = ECDsa.Create();
        ec.ImportPkcs8PrivateKey(row.PrivateKey, out _);
        return new ECDsaSecurityKey(ec) { KeyId = row.Id };
    }

    private static ECDsaSecurityKey PublicKey(SigningKey row)
    {
        using var full = ECDsa.Create();
        full.ImportPkcs8PrivateKey(row.PrivateKey, out _);
        return new ECDsaSecurityKey(ECDsa.Create(full.ExportParameters(includePrivateParameters: false))) { KeyId = row.Id };
    }
}
