using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Aetherium.Identity.Tokens;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Aetherium.Identity.Tests;

/// <summary>Tokens identity must refuse: expired ones signed with its real key, altered ones, foreign keys.</summary>
public static class Forged
{
    private static readonly JsonWebTokenHandler Handler = new();

    /// <summary>Claims of a valid user token, signed with identity's current signing key, expired for <paramref name="ago"/>.</summary>
    public static async Task<string> ExpiredAsync(IServiceProvider identity, Guid userId, Guid organizationId, TimeSpan ago)
    {
        var key = (await identity.GetRequiredService<SigningKeyStore>().GetAsync()).Current;
        var expires = DateTime.UtcNow - ago;
        return Sign(key, userId, organizationId, ["user"], expires.AddMinutes(-15), expires);
    }

    /// <summary>A well-formed token whose signature is made by a key identity never had, under the given kid.</summary>
    public static string WithForeignKey(string keyId, Guid userId, Guid organizationId, string[] roles)
    {
        var key = new ECDsaSecurityKey(ECDsa.Create(ECCurve.NamedCurves.nistP256)) { KeyId = keyId };
        return Sign(key, userId, organizationId, roles, DateTime.UtcNow.AddMinutes(-1), DateTime.UtcNow.AddMinutes(15));
    }

    /// <summary>The same token with its payload replaced (here: roles raised to admin), signature kept.</summary>
    public static string WithAdminRole(string jwt)
    {
        var parts = jwt.Split('.');
        var payload = Encoding.UTF8.GetString(System.Buffers.Text.Base64Url.DecodeFromChars(parts[1]));
        var raised = System.Text.Json.Nodes.JsonNode.Parse(payload)!;
        raised["role"] = new System.Text.Json.Nodes.JsonArray("admin", "user");
        return $"{parts[0]}.{System.Buffers.Text.Base64Url.EncodeToString(Encoding.UTF8.GetBytes(raised.ToJsonString()))}.{parts[2]}";
    }

    /// <summary>An unsigned token ("alg":"none") with otherwise valid claims.</summary>
    public static string Unsigned(Guid userId, Guid organizationId)
    {
        static string B64(string s) => System.Buffers.Text.Base64Url.EncodeToString(Encoding.UTF8.GetBytes(s));
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        return B64("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "." +
               B64($"{{\"sub\":\"{userId}\",\"org\":\"{organizationId}\",\"role\":\"admin\",\"iss\":\"aetherium\",\"aud\":\"aetherium\",\"nbf\":{now - 60},\"exp\":{now + 600}}}") + ".";
    }

    private static string Sign(SecurityKey key, Guid userId, Guid organizationId, string[] roles, DateTime notBefore, DateTime expires)
    {
        var claims = new List<Claim> { new("sub", userId.ToString()), new("org", organizationId.ToString()), new("name", "forged"), new("jti", Guid.NewGuid().ToString()) };
        claims.AddRange(roles.Select(r => new Claim("role", r)));
        return Handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = "aetherium",
            Audience = "aetherium",
            Subject = new ClaimsIdentity(claims),
            NotBefore = notBefore,
            IssuedAt = notBefore,
            Expires = expires,
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.EcdsaSha256),
        });
    }
}
