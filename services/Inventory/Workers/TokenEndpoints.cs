using System.Security.Claims;
using System.Text.Json.Serialization;
using Aetherium.Contracts.Internal;
using Aetherium.Inventory.Persistence;
using Aetherium.ServiceDefaults.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Aetherium.Inventory.Workers;

/// <summary>The body may be left out (identity's default lifetime); a field not named here is refused, not ignored.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record TokenRequest(long? ExpiresIn = null);

public sealed record TokenResponse(string Token, DateTimeOffset ExpiresAt, string InstallScript, Guid WorkerId, Guid TokenId);

/// <summary>POST /workers/{id}/token: a worker token minted by identity and the script that installs the agent with it.</summary>
public static class TokenEndpoints
{
    public const long MinExpiresIn = 60;
    public const long MaxExpiresIn = 5L * 365 * 24 * 3600;

    public static void MapWorkerToken(this RouteGroupBuilder g) => g.MapPost("/{id:guid}/token", Issue)
        .Accepts<TokenRequest>(isOptional: true, "application/json");

    private static async Task<Results<Ok<TokenResponse>, ValidationProblem, ProblemHttpResult>> Issue(
        Guid id, ClaimsPrincipal user, HttpRequest request, InventoryDbContext db, IWorkerTokenIssuer issuer,
        IOptions<InventoryOptions> options, TimeProvider clock, ILoggerFactory logs, CancellationToken ct)
    {
        // Read before anything is minted: null, a non-object, bad UTF-8 or an unknown field is a 400, never the defaults.
        var read = await JsonBody.ReadAsync(request, whenEmpty: new TokenRequest(), ct);
        if (read.Problem is not null) return read.Problem;
        var body = read.Value!;
        var v = new Validator();
        if (body.ExpiresIn is { } e)
            v.Require(e is >= MinExpiresIn and <= MaxExpiresIn, "expires_in", $"must be between {MinExpiresIn} and {MaxExpiresIn} seconds");
        if (v.Failed) return v.Problem();
        var w = await db.FindVisibleAsync(id, user, ct, track: false);
        if (w is null) return Problems.NotFound("Worker");

        IssuedWorkerToken issued;
        try
        {
            issued = await issuer.IssueAsync(new IssueWorkerTokenRequest(w.Id, w.OrganizationId, body.ExpiresIn), ct);
        }
        catch (Exception ex) when (ex is HttpRequestException or WorkerTokenUnavailableException or InvalidOperationException
                                   || (ex is TaskCanceledException && !ct.IsCancellationRequested))
        {
            logs.CreateLogger(typeof(TokenEndpoints)).LogWarning("Could not mint a token for worker {WorkerId}: {Error}", w.Id, ex.Message);
            return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Token service unavailable",
                detail: "Identity could not mint a worker token right now; try again shortly.");
        }

        var now = clock.GetUtcNow();
        // Token metadata is not part of the worker's snapshot: no version bump, no event.
        await db.Workers.Where(x => x.Id == w.Id).ExecuteUpdateAsync(s => s
            .SetProperty(x => x.TokenId, issued.TokenId)
            .SetProperty(x => x.TokenGeneratedAt, now)
            .SetProperty(x => x.TokenExpiresAt, issued.ExpiresAt)
            .SetProperty(x => x.UpdatedAt, now), ct);

        var controller = options.Value.PublicUrl ?? $"{request.Scheme}://{request.Host}";
        return TypedResults.Ok(new TokenResponse(issued.Token, issued.ExpiresAt, InstallScript.Render(controller, issued.Token, w, now), w.Id, issued.TokenId));
    }
}
