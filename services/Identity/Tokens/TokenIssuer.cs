using System.Security.Claims;
using Aetherium.ServiceDefaults.Auth;
using Aetherium.ServiceDefaults.Data;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Aetherium.Identity.Tokens;

/// <summary>A signed JWT and what the caller may need to record about it.</summary>
public sealed record SignedToken(string Token, Guid TokenId, string KeyId, DateTimeOffset ExpiresAt);

/// <summary>
/// Mints every JWT identity hands out, with the claims ServiceDefaults' <see cref="Claims"/> reads:
/// sub, name, org, one role claim per role, jti, and worker_id for worker tokens.
/// </summary>
public sealed class TokenIssuer(SigningKeyStore keys, JwtSettings settings)
{
    private static readonly JsonWebTokenHandler Handler = new();

    public async Task<SignedToken> IssueAsync(Guid subject, string name, Guid organizationId, IEnumerable<string> roles, TimeSpan lifetime,
        Guid? workerId = null, CancellationToken ct = default)
    {
        var key = (await keys.GetAsync(ct)).Current;
        var tokenId = NewId.Next();
        var now = DateTime.UtcNow;
        var claims = new List<Claim>
        {
            new(Claims.Subject, subject.ToString()),
            new(Claims.Name, name),
            new(Claims.Organization, organizationId.ToString()),
            new(Claims.TokenId, tokenId.ToString()),
        };
        claims.AddRange(roles.Distinct().Select(r => new Claim(Claims.Role, r)));
        if (workerId is Guid w) claims.Add(new Claim(Claims.Worker, w.ToString()));
        var expires = now + lifetime;
        var token = Handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = settings.Issuer,
            Audience = settings.Audience,
            Subject = new ClaimsIdentity(claims),
            IssuedAt = now,
            NotBefore = now,
            Expires = expires,
            SigningCredentials = new SigningCredentials(key, SigningKeyStore.Algorithm),
        });
        return new SignedToken(token, tokenId, key.KeyId, new DateTimeOffset(expires, TimeSpan.Zero));
    }
}
