using Aetherium.Identity.Accounts;
using Aetherium.Identity.Http;
using Aetherium.Identity.Persistence;
using Aetherium.ServiceDefaults.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Aetherium.Identity.Sessions;

public static class SessionEndpoints
{
    public sealed record LoginRequest(string? Username, string? Password);
    public sealed record RefreshRequest(string? RefreshToken);

    public static void MapSessions(this IEndpointRouteBuilder app)
    {
        var auth = app.MapGroup("/api/v1/auth").WithTags("Auth").AllowAnonymous(); // the password or refresh token is the credential
        auth.MapPost("/login", Login).RequireRateLimiting(RateLimits.AuthPolicy).WithSummary("Password sign-in");
        auth.MapPost("/refresh", Refresh).RequireRateLimiting(RateLimits.AuthPolicy).WithSummary("Exchange a refresh token for new tokens");
        auth.MapPost("/logout", Logout).RequireRateLimiting(RateLimits.AuthPolicy).WithSummary("End the session of a refresh token");
    }

    private static async Task<Results<Ok<TokenPair>, ValidationProblem, ProblemHttpResult>> Login(LoginRequest request, HttpContext http,
        IdentityDbContext db, IPasswordHasher<User> hasher, SessionService sessions, AccountThrottle throttle, CancellationToken ct)
    {
        var username = AccountRules.NormalizeUsername(request.Username);
        var v = new Validator();
        AccountRules.CheckSignInUsername(v, username);
        AccountRules.CheckSignInPassword(v, request.Password);
        if (v.Failed) return v.Problem();

        if (await throttle.BeginAttemptAsync(username!, ct) is TimeSpan locked)
            return RateLimits.TooManyRequests(http, locked, "Too many failed sign-ins for this account");
        var user = await db.Users.SingleOrDefaultAsync(u => u.Username == username, ct);
        if (user?.PasswordHash is null)
        {
            // Same work as a real check, so response time does not tell which usernames exist.
            hasher.VerifyHashedPassword(Dummy, DummyHash.Value, request.Password!);
            return InvalidCredentials();
        }
        var check = hasher.VerifyHashedPassword(user, user.PasswordHash, request.Password!);
        if (check == PasswordVerificationResult.Failed) return InvalidCredentials();
        if (check == PasswordVerificationResult.SuccessRehashNeeded) user.PasswordHash = hasher.HashPassword(user, request.Password!);

        await throttle.SucceededAsync(username!, ct);
        var tokens = await sessions.StartAsync(user, ct);
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(tokens);
    }

    private static async Task<Results<Ok<TokenPair>, ValidationProblem, ProblemHttpResult>> Refresh(
        RefreshRequest request, SessionService sessions, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(request.RefreshToken)) return new Validator().Add("refresh_token", "is required").Problem();
        var (outcome, tokens) = await sessions.RefreshAsync(request.RefreshToken, ct);
        return outcome switch
        {
            SessionService.RefreshOutcome.Refreshed => TypedResults.Ok(tokens!),
            SessionService.RefreshOutcome.Expired => Unauthorized("The refresh token has expired; sign in again."),
            SessionService.RefreshOutcome.Reused => Unauthorized("The refresh token was already used; the session has been ended. Sign in again."),
            SessionService.RefreshOutcome.Revoked => Unauthorized("The session has ended; sign in again."),
            _ => Unauthorized("Unknown refresh token."),
        };
    }

    private static async Task<Results<NoContent, ValidationProblem>> Logout(RefreshRequest request, SessionService sessions, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(request.RefreshToken)) return new Validator().Add("refresh_token", "is required").Problem();
        await sessions.LogoutAsync(request.RefreshToken, ct);
        return TypedResults.NoContent();
    }

    private static readonly User Dummy = new() { Username = "" };
    private static readonly Lazy<string> DummyHash = new(() => new PasswordHasher<User>().HashPassword(Dummy, Guid.NewGuid().ToString()));

    private static ProblemHttpResult InvalidCredentials() => Unauthorized("Invalid username or password.");

    private static ProblemHttpResult Unauthorized(string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized", detail: detail);
}
