using Aetherium.Identity.Accounts;
using Aetherium.Identity.Http;
using Aetherium.Identity.Persistence;
using Aetherium.Identity.Tokens;
using Aetherium.ServiceDefaults.Data;
using Microsoft.EntityFrameworkCore;

namespace Aetherium.Identity.Sessions;

/// <summary>DESIGN §12 login answer (also for refresh and wallet sign-in).</summary>
public sealed record TokenPair(string AccessToken, string RefreshToken, string TokenType, int ExpiresIn, Guid UserId);

/// <summary>Sign-in sessions: an access token plus a rotating refresh token per session (family).</summary>
public sealed class SessionService(IdentityDbContext db, TokenIssuer issuer, JwtSettings settings, ILogger<SessionService> log)
{
    public enum RefreshOutcome { Refreshed, Unknown, Expired, Revoked, Reused }

    /// <summary>Starts a new session for <paramref name="user"/>; the refresh token row is saved with the caller's unit of work.</summary>
    public Task<TokenPair> StartAsync(User user, CancellationToken ct) => IssueAsync(user, NewId.Next(), ct);

    public async Task<(RefreshOutcome Outcome, TokenPair? Tokens)> RefreshAsync(string refreshToken, CancellationToken ct)
    {
        var hash = Secrets.Hash(refreshToken);
        var row = await db.RefreshTokens.AsNoTracking().SingleOrDefaultAsync(t => t.TokenHash == hash, ct);
        if (row is null) return (RefreshOutcome.Unknown, null);
        var now = DateTimeOffset.UtcNow;

        // Claim the token atomically: of two concurrent uses only one wins, the other is a reuse.
        var claimed = row.UsedAt is null && row.RevokedAt is null && row.ExpiresAt > now
            && await db.RefreshTokens
                .Where(t => t.Id == row.Id && t.UsedAt == null && t.RevokedAt == null)
                .ExecuteUpdateAsync(s => s.SetProperty(t => t.UsedAt, now), ct) == 1;
        if (!claimed)
        {
            if (row.RevokedAt is not null && row.UsedAt is null) return (RefreshOutcome.Revoked, null);
            if (row.ExpiresAt <= now && row.UsedAt is null) return (RefreshOutcome.Expired, null);
            // A token that was already exchanged came back: someone else holds the chain. End the session.
            await RevokeFamilyAsync(row.FamilyId, now, ct);
            log.LogWarning("Refresh token reuse for user {UserId}: session {FamilyId} revoked", row.UserId, row.FamilyId);
            return (RefreshOutcome.Reused, null);
        }

        var user = await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.Id == row.UserId, ct);
        if (user is null) return (RefreshOutcome.Unknown, null);
        var pair = await IssueAsync(user, row.FamilyId, ct);
        await db.SaveChangesAsync(ct);
        return (RefreshOutcome.Refreshed, pair);
    }

    /// <summary>Ends the session the refresh token belongs to. Unknown tokens are ignored (nothing to end).</summary>
    public async Task LogoutAsync(string refreshToken, CancellationToken ct)
    {
        var hash = Secrets.Hash(refreshToken);
        var family = await db.RefreshTokens.Where(t => t.TokenHash == hash).Select(t => (Guid?)t.FamilyId).SingleOrDefaultAsync(ct);
        if (family is Guid f) await RevokeFamilyAsync(f, DateTimeOffset.UtcNow, ct);
    }

    private Task<int> RevokeFamilyAsync(Guid familyId, DateTimeOffset now, CancellationToken ct) =>
        db.RefreshTokens.Where(t => t.FamilyId == familyId && t.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.RevokedAt, now), ct);

    private async Task<TokenPair> IssueAsync(User user, Guid familyId, CancellationToken ct)
    {
        var access = await issuer.IssueAsync(user.Id, user.Username, user.OrganizationId, user.Roles, settings.AccessTokenLifetime, ct: ct);
        var refresh = Secrets.NewToken();
        var now = DateTimeOffset.UtcNow;
        db.RefreshTokens.Add(new RefreshToken
        {
            Id = NewId.Next(),
            FamilyId = familyId,
            UserId = user.Id,
            TokenHash = Secrets.Hash(refresh),
            CreatedAt = now,
            ExpiresAt = now + settings.RefreshTokenLifetime,
        });
        return new TokenPair(access.Token, refresh, "Bearer", (int)settings.AccessTokenLifetime.TotalSeconds, user.Id);
    }
}
