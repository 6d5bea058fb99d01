using System.Security.Cryptography;
using System.Text;
using Aetherium.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Aetherium.Identity.Tokens;

/// <summary>
/// OAuth 2.0 client credentials (RFC 6749 §4.4) for service-to-service calls. Clients and their
/// secrets come from configuration <c>ServiceClients:&lt;client_id&gt;:Secret</c> (the AppHost sets them).
/// </summary>
public static class ClientCredentialsEndpoint
{
    public sealed record TokenResponse(string AccessToken, string TokenType, int ExpiresIn);

    public static void MapClientCredentials(this IEndpointRouteBuilder app)
    {
        app.MapPost("/connect/token", Handle).AllowAnonymous() // the client's secret is the credential
            .DisableAntiforgery()
            .RequireRateLimiting(Http.RateLimits.AuthPolicy)
            .WithTags("Auth")
            .WithSummary("Service token (client_credentials)");
    }

    private static async Task<Results<Ok<TokenResponse>, ProblemHttpResult>> Handle(
        HttpRequest request, IConfiguration config, TokenIssuer issuer, JwtSettings settings, CancellationToken ct)
    {
        if (!request.HasFormContentType)
            return OAuthError(StatusCodes.Status400BadRequest, "invalid_request", "Expected an application/x-www-form-urlencoded body.");
        var form = await request.ReadFormAsync(ct);
        if (form["grant_type"] != "client_credentials")
            return OAuthError(StatusCodes.Status400BadRequest, "unsupported_grant_type", "Only grant_type=client_credentials is supported here.");
        var clientId = form["client_id"].ToString();
        var secret = form["client_secret"].ToString();
        if (clientId.Length == 0 || secret.Length == 0)
            return OAuthError(StatusCodes.Status400BadRequest, "invalid_request", "client_id and client_secret are required.");

        var expected = config[$"ServiceClients:{clientId}:Secret"];
        if (string.IsNullOrEmpty(expected) || !SameSecret(expected, secret))
            return OAuthError(StatusCodes.Status401Unauthorized, "invalid_client", "Unknown client or wrong secret.");

        var token = await issuer.IssueAsync(ServiceSubject(clientId), clientId, Guid.Empty, [Roles.Service], settings.ServiceTokenLifetime, ct: ct);
        return TypedResults.Ok(new TokenResponse(token.Token, "Bearer", (int)settings.ServiceTokenLifetime.TotalSeconds));
    }

    /// <summary>A stable subject per client, so a service is the same "sub" in every token.</summary>
    public static Guid ServiceSubject(string clientId) =>
        new(SHA256.HashData(Encoding.UTF8.GetBytes("service-client:" + clientId)).AsSpan(0, 16));

    /// <summary>Constant-time comparison (of hashes, so lengths do not leak either).</summary>
    private static bool SameSecret(string expected, string given) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(expected)), SHA256.HashData(Encoding.UTF8.GetBytes(given)));

    private static ProblemHttpResult OAuthError(int status, string error, string detail) =>
        TypedResults.Problem(statusCode: status, title: error, detail: detail, extensions: new Dictionary<string, object?> { ["error"] = error });
}
