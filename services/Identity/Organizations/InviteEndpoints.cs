using System.Text.Json.Serialization;
using Aetherium.Contracts;
using Aetherium.Identity.Http;
using Aetherium.Identity.Persistence;
using Aetherium.ServiceDefaults.Auth;
using Aetherium.ServiceDefaults.Data;
using Aetherium.ServiceDefaults.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Aetherium.Identity.Organizations;

/// <summary>Invite codes: the only way into an existing organisation.</summary>
public static class InviteEndpoints
{
    /// <summary>The body may be left out (7 days); a field not named here is refused, not ignored.</summary>
    [JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
    public sealed record InviteRequest(long? ExpiresIn = null);
    public sealed record InviteResponse(string InviteCode, Guid OrganizationId, DateTimeOffset ExpiresAt);

    private static readonly TimeSpan DefaultLifetime = TimeSpan.FromDays(7);
    private static readonly TimeSpan MaxLifetime = TimeSpan.FromDays(30);

    public static void MapInvites(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/v1/organizations/invites", Create)
            .RequireAuthorization(AuthenticationSetup.TenantPolicy)
            .Accepts<InviteRequest>(isOptional: true, "application/json")
            .WithTags("Organizations").WithSummary("A single-use invite code to sign up into the caller's organisation");
    }

    private static async Task<Results<Created<InviteResponse>, ValidationProblem, ProblemHttpResult>> Create(
        HttpContext http, IdentityDbContext db, CancellationToken ct)
    {
        // Read before anything is minted: null, a non-object, bad UTF-8 or an unknown field is a 400, never the defaults.
        var read = await JsonBody.ReadAsync(http.Request, whenEmpty: new InviteRequest(), ct);
        if (read.Problem is not null) return read.Problem;
        var request = read.Value!;
        var v = new Validator();
        v.Require(request.ExpiresIn is null or (>= 60 and <= 30 * 24 * 3600), "expires_in", "must be between 60 s and 30 days");
        if (v.Failed) return v.Problem();
        var organizationId = http.User.OrganizationId();
        if (organizationId == Guid.Empty || !await db.Organizations.AnyAsync(o => o.Id == organizationId, ct))
            return Problems.NotFound("Organization");

        var code = Secrets.NewToken(18);
        var now = DateTimeOffset.UtcNow;
        var lifetime = request.ExpiresIn is long s ? TimeSpan.FromSeconds(s) : DefaultLifetime;
        var invite = new Invite
        {
            Id = NewId.Next(),
            CodeHash = Secrets.Hash(code),
            OrganizationId = organizationId,
            CreatedBy = http.User.UserId(),
            CreatedAt = now,
            ExpiresAt = now + (lifetime < MaxLifetime ? lifetime : MaxLifetime),
        };
        db.Invites.Add(invite);
        await db.SaveChangesAsync(ct);
        return TypedResults.Created((string?)null, new InviteResponse(code, organizationId, invite.ExpiresAt));
    }

    /// <summary>Uses up an invite inside the caller's transaction; returns its organisation, or null when unusable.</summary>
    public static async Task<Guid?> ConsumeAsync(IdentityDbContext db, string code, CancellationToken ct)
    {
        var hash = Secrets.Hash(code);
        var now = DateTimeOffset.UtcNow;
        var invite = await db.Invites.AsNoTracking().SingleOrDefaultAsync(i => i.CodeHash == hash, ct);
        if (invite is null) return null;
        var used = await db.Invites
            .Where(i => i.Id == invite.Id && i.UsedAt == null && i.ExpiresAt > now)
            .ExecuteUpdateAsync(s => s.SetProperty(i => i.UsedAt, now), ct);
        return used == 1 ? invite.OrganizationId : null;
    }
}
