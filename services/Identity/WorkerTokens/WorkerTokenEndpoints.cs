using Aetherium.Contracts;
using Aetherium.Contracts.Internal;
using Aetherium.Identity.Persistence;
using Aetherium.Identity.Tokens;
using Aetherium.ServiceDefaults.Auth;
using Aetherium.ServiceDefaults.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Aetherium.Identity.WorkerTokens;

/// <summary>
/// Worker tokens: minted for inventory (internal, role service), listed and revoked by the worker's
/// organisation. Every issue and revocation is announced on the bus, so inventory refuses a revoked
/// token at once.
/// </summary>
public static class WorkerTokenEndpoints
{
    public static void MapWorkerTokens(this IEndpointRouteBuilder app)
    {
        app.MapPost("/internal/worker-tokens", Issue)
            .RequireAuthorization(AuthenticationSetup.ServicePolicy)
            .WithTags("Internal").WithSummary("Mint a token for one worker (services only)");
        // Inventory's /workers/{id}/tokens: it has checked the caller may see the worker; the tokens are kept here.
        app.MapGet("/internal/worker-tokens", ListOfWorker)
            .RequireAuthorization(AuthenticationSetup.ServicePolicy)
            .WithTags("Internal").WithSummary("One worker's tokens (services only)");
        app.MapPost("/internal/worker-tokens/{id:guid}/revoke", RevokeOfWorker)
            .RequireAuthorization(AuthenticationSetup.ServicePolicy)
            .WithTags("Internal").WithSummary("Revoke one worker's token (services only)");

        var tokens = app.MapGroup("/api/v1/worker-tokens").WithTags("Worker tokens")
            .RequireAuthorization(AuthenticationSetup.TenantPolicy);
        tokens.MapGet("", List).WithSummary("Worker tokens of the caller's organisation (admin: all)");
        tokens.MapPost("/{id:guid}/revoke", Revoke).WithSummary("Revoke a worker token");
    }

    private static async Task<Results<Ok<IssuedWorkerToken>, ValidationProblem>> Issue(
        IssueWorkerTokenRequest request, IdentityDbContext db, TokenIssuer issuer, JwtSettings settings, CancellationToken ct)
    {
        var v = new Validator();
        v.Require(request.WorkerId != Guid.Empty, "worker_id", "is required");
        v.Require(request.OrganizationId != Guid.Empty, "organization_id", "is required");
        var max = (long)settings.MaxWorkerTokenLifetime.TotalSeconds;
        v.Require(request.ExpiresInSeconds is not long e || (e >= 60 && e <= max),
            "expires_in_seconds", $"must be between 60 and {max}");
        if (v.Failed) return v.Problem();

        var lifetime = request.ExpiresInSeconds is long s ? TimeSpan.FromSeconds(s) : settings.WorkerTokenLifetime;
        var token = await issuer.IssueAsync(request.WorkerId, $"worker-{request.WorkerId:N}"[..15], request.OrganizationId,
            [Roles.Worker], lifetime, workerId: request.WorkerId, ct: ct);
        var now = DateTimeOffset.UtcNow;
        db.WorkerTokens.Add(new WorkerToken
        {
            Id = token.TokenId,
            WorkerId = request.WorkerId,
            OrganizationId = request.OrganizationId,
            KeyId = token.KeyId,
            CreatedAt = now,
            ExpiresAt = token.ExpiresAt,
        });
        db.Publish(new WorkerTokenIssued(token.TokenId, request.WorkerId, request.OrganizationId, token.ExpiresAt, now));
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(new IssuedWorkerToken(token.Token, token.TokenId, token.ExpiresAt));
    }

    private static Task<Results<Ok<WorkerTokenPage>, ValidationProblem>> List(
        HttpContext http, IdentityDbContext db, [FromQuery(Name = "worker_id")] Guid? workerId, int? page, int? limit, CancellationToken ct) =>
        ListAsync(Visible(db, http), workerId, page, limit, ct);

    private static async Task<Results<Ok<WorkerTokenPage>, ValidationProblem>> ListOfWorker(
        IdentityDbContext db, [FromQuery(Name = "worker_id")] Guid? workerId, int? page, int? limit, CancellationToken ct)
    {
        if (workerId is null || workerId == Guid.Empty)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["worker_id"] = ["is required"] });
        return await ListAsync(db.WorkerTokens.AsNoTracking(), workerId, page, limit, ct);
    }

    private static async Task<Results<Ok<WorkerTokenPage>, ValidationProblem>> ListAsync(
        IQueryable<WorkerToken> query, Guid? workerId, int? page, int? limit, CancellationToken ct)
    {
        var v = new Validator();
        v.Require(page is null or >= 1, "page", "must be at least 1");
        v.Require(limit is null or (>= 1 and <= 100), "limit", "must be between 1 and 100");
        if (v.Failed) return v.Problem();
        int p = page ?? 1, l = limit ?? 50;

        if (workerId is Guid w) query = query.Where(t => t.WorkerId == w);
        var total = await query.CountAsync(ct);
        var rows = await query.OrderByDescending(t => t.CreatedAt).Skip((p - 1) * l).Take(l).ToListAsync(ct);
        var now = DateTimeOffset.UtcNow;
        return TypedResults.Ok(new WorkerTokenPage(rows.Select(t => View(t, now)).ToList(), total, p, l));
    }

    private static Task<Results<Ok<WorkerTokenRecord>, ProblemHttpResult>> Revoke(
        Guid id, HttpContext http, IdentityDbContext db, CancellationToken ct) =>
        RevokeAsync(Visible(db, http).Where(t => t.Id == id), db, "revoked by " + (http.User.Identity?.Name ?? "a user"), ct);

    private static Task<Results<Ok<WorkerTokenRecord>, ProblemHttpResult>> RevokeOfWorker(
        Guid id, RevokeWorkerTokenRequest request, IdentityDbContext db, CancellationToken ct) =>
        RevokeAsync(db.WorkerTokens.Where(t => t.Id == id && t.WorkerId == request.WorkerId), db,
            string.IsNullOrWhiteSpace(request.Reason) ? "revoked" : request.Reason, ct);

    private static async Task<Results<Ok<WorkerTokenRecord>, ProblemHttpResult>> RevokeAsync(
        IQueryable<WorkerToken> match, IdentityDbContext db, string reason, CancellationToken ct)
    {
        var token = await match.AsTracking().SingleOrDefaultAsync(ct);
        if (token is null) return Problems.NotFound("Worker token");
        var now = DateTimeOffset.UtcNow;
        if (token.RevokedAt is null)
        {
            Revocation.Revoke(db, token, reason, now);
            await db.SaveChangesAsync(ct);
        }
        return TypedResults.Ok(View(token, now));
    }

    /// <summary>Tenant scoping: another organisation's tokens do not exist for the caller.</summary>
    private static IQueryable<WorkerToken> Visible(IdentityDbContext db, HttpContext http)
    {
        var query = db.WorkerTokens.AsNoTracking();
        if (http.User.IsAdmin()) return query;
        var org = http.User.OrganizationId();
        return query.Where(t => t.OrganizationId == org);
    }

    private static WorkerTokenRecord View(WorkerToken t, DateTimeOffset now) =>
        new(t.Id, t.WorkerId, t.OrganizationId, t.RevokedAt is not null ? "revoked" : t.ExpiresAt <= now ? "expired" : "active",
            t.CreatedAt, t.ExpiresAt, t.RevokedAt, t.RevokedReason);
}
