using System.Security.Claims;
using Aetherium.Contracts.Internal;
using Aetherium.Inventory.Persistence;
using Aetherium.Inventory.Revocation;
using Aetherium.ServiceDefaults.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Aetherium.Inventory.Workers;

/// <summary>One worker token as its owner sees it: identity's record with inventory's last connection.</summary>
public sealed record WorkerTokenView(Guid Id, string Status, DateTimeOffset IssuedAt, DateTimeOffset ExpiresAt,
    DateTimeOffset? RevokedAt, DateTimeOffset? LastUsedAt, string? LastUsedFrom);

public sealed record WorkerTokenList(IReadOnlyList<WorkerTokenView> Tokens, int Total, int Page, int Limit);

/// <summary>
/// GET /workers/{id}/tokens and POST /workers/{id}/tokens/{token_id}/revoke. Identity keeps the tokens
/// (never in clear: a token is shown once, when minted), inventory their last use; a revocation is recorded
/// here at once (the agent is refused and its session closed) instead of waiting for identity's event.
/// </summary>
public static class TokenListEndpoints
{
    public static void MapWorkerTokenList(this RouteGroupBuilder g)
    {
        g.MapGet("/{id:guid}/tokens", List);
        g.MapPost("/{id:guid}/tokens/{tokenId:guid}/revoke", Revoke);
    }

    private static async Task<Results<Ok<WorkerTokenList>, ValidationProblem, ProblemHttpResult>> List(
        Guid id, int? page, int? limit, ClaimsPrincipal user, InventoryDbContext db, IWorkerTokenDirectory identity,
        ILoggerFactory logs, CancellationToken ct)
    {
        var v = new Validator();
        v.Require(page is null or >= 1, "page", "must be at least 1");
        v.Require(limit is null or (>= 1 and <= 100), "limit", "must be between 1 and 100");
        if (v.Failed) return v.Problem();
        var w = await db.FindVisibleAsync(id, user, ct, track: false);
        if (w is null) return Problems.NotFound("Worker");

        WorkerTokenPage tokens;
        try { tokens = await identity.ListAsync(w.Id, page, limit, ct); }
        catch (Exception ex) when (Unavailable(ex, ct)) { return IdentityDown(logs, w.Id, ex); }
        var ids = tokens.WorkerTokens.Select(t => t.TokenId).ToList();
        var uses = await db.TokenUses.AsNoTracking().Where(u => ids.Contains(u.TokenId)).ToDictionaryAsync(u => u.TokenId, ct);
        return TypedResults.Ok(new WorkerTokenList(tokens.WorkerTokens.Select(t => View(t, uses.GetValueOrDefault(t.TokenId))).ToList(),
            tokens.Total, tokens.Page, tokens.Limit));
    }

    private static async Task<Results<Ok<WorkerTokenView>, ProblemHttpResult>> Revoke(
        Guid id, Guid tokenId, ClaimsPrincipal user, InventoryDbContext db, IWorkerTokenDirectory identity,
        ILoggerFactory logs, CancellationToken ct)
    {
        var w = await db.FindVisibleAsync(id, user, ct, track: false);
        if (w is null) return Problems.NotFound("Worker");

        WorkerTokenRecord? token;
        try { token = await identity.RevokeAsync(tokenId, new RevokeWorkerTokenRequest(w.Id, "revoked by " + (user.Identity?.Name ?? "a user")), ct); }
        catch (Exception ex) when (Unavailable(ex, ct)) { return IdentityDown(logs, w.Id, ex); }
        if (token is null) return Problems.NotFound("Worker token");
        await RevokedTokens.RecordAsync(db, token.TokenId, w.Id, token.RevokedAt ?? DateTimeOffset.UtcNow, ct);
        var use = await db.TokenUses.AsNoTracking().FirstOrDefaultAsync(u => u.TokenId == token.TokenId, ct);
        return TypedResults.Ok(View(token, use));
    }

    private static WorkerTokenView View(WorkerTokenRecord t, TokenUse? use) =>
        new(t.TokenId, t.Status, t.CreatedAt, t.ExpiresAt, t.RevokedAt, use?.LastUsedAt, use?.LastUsedFrom);

    private static bool Unavailable(Exception ex, CancellationToken ct) =>
        ex is HttpRequestException or WorkerTokenUnavailableException || (ex is TaskCanceledException && !ct.IsCancellationRequested);

    private static ProblemHttpResult IdentityDown(ILoggerFactory logs, Guid workerId, Exception ex)
    {
        logs.CreateLogger(typeof(TokenListEndpoints)).LogWarning("Identity did not answer for worker {WorkerId}'s tokens: {Error}", workerId, ex.Message);
        return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Token service unavailable",
            detail: "Identity could not be reached for this worker's tokens; try again shortly.");
    }
}
