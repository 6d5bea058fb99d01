using Aetherium.ServiceDefaults.Auth;
using Microsoft.IdentityModel.Tokens;

namespace Aetherium.Identity.Tokens;

/// <summary>OIDC discovery and JWKS (what every service's JwtBearer reads), and the admin's key rotation.</summary>
public static class DiscoveryEndpoints
{
    public sealed record Jwk(string Kty, string Use, string Alg, string Kid, string Crv, string X, string Y);
    public sealed record JwkSet(IReadOnlyList<Jwk> Keys);
    public sealed record Discovery(
        string Issuer, string JwksUri, string TokenEndpoint,
        IReadOnlyList<string> GrantTypesSupported, IReadOnlyList<string> TokenEndpointAuthMethodsSupported,
        IReadOnlyList<string> IdTokenSigningAlgValuesSupported, IReadOnlyList<string> ResponseTypesSupported,
        IReadOnlyList<string> SubjectTypesSupported, IReadOnlyList<string> ClaimsSupported);
    public sealed record Rotated(string KeyId);

    public static void MapDiscovery(this IEndpointRouteBuilder app)
    {
        var wellKnown = app.MapGroup("/.well-known").WithTags("Discovery").AllowAnonymous();
        wellKnown.MapGet("/openid-configuration", (HttpRequest request, JwtSettings settings) =>
        {
            // Absolute URLs as the caller reached us (the gateway's forwarded host when behind it).
            var root = $"{request.Scheme}://{request.Host}{request.PathBase}";
            return TypedResults.Ok(new Discovery(
                settings.Issuer, root + "/.well-known/jwks.json", root + "/connect/token",
                ["client_credentials"], ["client_secret_post"],
                [SigningKeyStore.Algorithm], ["token"], ["public"],
                [Claims.Subject, Claims.Name, Claims.Organization, Claims.Role, Claims.Worker, Claims.TokenId]));
        });
        wellKnown.MapGet("/jwks.json", async (SigningKeyStore keys, HttpResponse response, CancellationToken ct) =>
        {
            var set = await keys.GetAsync(ct);
            response.Headers.CacheControl = "public, max-age=60";
            return TypedResults.Ok(new JwkSet(set.Published.Select(ToJwk).ToList()));
        });

        app.MapPost("/api/v1/auth/keys/rotate", async (SigningKeyStore keys, CancellationToken ct) =>
                TypedResults.Ok(new Rotated(await keys.RotateAsync(onlyIfDue: false, ct))))
            .RequireAuthorization(AuthenticationSetup.AdminPolicy)
            .WithTags("Auth")
            .WithSummary("Rotate the signing key now (admin)");
    }

    private static Jwk ToJwk(ECDsaSecurityKey key)
    {
        var p = key.ECDsa.ExportParameters(includePrivateParameters: false);
        return new Jwk("EC", "sig", SigningKeyStore.Algorithm, key.KeyId, "P-256",
            Base64UrlEncoder.Encode(p.Q.X!), Base64UrlEncoder.Encode(p.Q.Y!));
    }
}
