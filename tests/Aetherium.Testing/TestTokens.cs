using System.Security.Claims;
using System.Security.Cryptography;
using Aetherium.Contracts;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Aetherium.Testing;

/// <summary>
/// JWTs for tests of services other than identity: signed with a per-process ES256 key that
/// <see cref="AcceptTestTokens"/> makes a service trust, with the same claims identity issues.
/// </summary>
public static class TestTokens
{
    public const string Issuer = "aetherium";
    public const string Audience = "aetherium";
    public static readonly ECDsaSecurityKey Key = new(ECDsa.Create(ECCurve.NamedCurves.nistP256)) { KeyId = "test-key" };
    private static readonly JsonWebTokenHandler Handler = new();

    public static string Create(Guid subject, Guid organizationId, IEnumerable<string> roles, string? name = null,
        Guid? workerId = null, TimeSpan? lifetime = null, Guid? tokenId = null, SecurityKey? key = null, DateTime? notBefore = null)
    {
        var claims = new List<Claim>
        {
            new("sub", subject.ToString()),
            new("org", organizationId.ToString()),
            new("name", name ?? subject.ToString("N")[..8]),
            new("jti", (tokenId ?? Guid.NewGuid()).ToString()),
        };
        claims.AddRange(roles.Select(r => new Claim("role", r)));
        if (workerId is Guid w) claims.Add(new Claim("worker_id", w.ToString()));
        var now = notBefore ?? DateTime.UtcNow;
        return Handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = Audience,
            Subject = new ClaimsIdentity(claims),
            NotBefore = now.AddSeconds(-5),
            IssuedAt = now.AddSeconds(-5),
            Expires = now + (lifetime ?? TimeSpan.FromHours(1)),
            SigningCredentials = new SigningCredentials(key ?? Key, SecurityAlgorithms.EcdsaSha256),
        });
    }

    public static string User(Guid organizationId, Guid? userId = null) => Create(userId ?? Guid.NewGuid(), organizationId, [Roles.User]);
    public static string Admin() => Create(Guid.NewGuid(), Guid.NewGuid(), [Roles.Admin, Roles.User], "admin");
    public static string Service(string name = "test") => Create(Guid.NewGuid(), Guid.Empty, [Roles.Service], name);
    public static string Worker(Guid workerId, Guid organizationId, Guid? tokenId = null, TimeSpan? lifetime = null) =>
        Create(workerId, organizationId, [Roles.Worker], workerId: workerId, tokenId: tokenId, lifetime: lifetime);

    /// <summary>Makes the service's JwtBearer trust <see cref="Key"/> instead of fetching identity's JWKS.</summary>
    public static IServiceCollection AcceptTestTokens(this IServiceCollection services)
    {
        services.PostConfigure<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme, o =>
        {
            o.MetadataAddress = null!;
            var configuration = new OpenIdConnectConfiguration { Issuer = Issuer };
            configuration.SigningKeys.Add(Key);
            o.Configuration = configuration;
            o.ConfigurationManager = null;
            o.TokenValidationParameters.IssuerSigningKeys = [Key];
            o.TokenValidationParameters.ValidIssuer = Issuer;
            o.TokenValidationParameters.ValidAudience = Audience;
        });
        return services;
    }
}
