using System.Text.Json.Serialization;
using Aetherium.Contracts;
using Aetherium.Identity.Http;
using Aetherium.Identity.Persistence;
using Aetherium.ServiceDefaults.Auth;
using Aetherium.ServiceDefaults.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Aetherium.Identity.Accounts;

public static class AccountEndpoints
{
    /// <summary>A field not named here is refused: a misspelt <c>invite_code</c> must not quietly found a new organisation.</summary>
    [JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
    public sealed record SignupRequest(string? Username, string? Password, string? Email, string? Organization, string? InviteCode);
    public sealed record SignupResponse(Guid UserId, string Username, Guid OrganizationId, string OrganizationName);
    public sealed record RolesRequest(IReadOnlyList<string>? Roles);
    public sealed record UserList(IReadOnlyList<UserView> Users, int Total, int Page, int Limit);

    /// <summary>Roles a person can hold; worker and service belong to tokens, not accounts.</summary>
    private static readonly string[] AssignableRoles = [Roles.Admin, Roles.User];
    private const long RoleChangeLock = 0x1D_E7_17_02;

    public static void MapAccounts(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/v1/auth/signup", Signup).AllowAnonymous()
            .RequireRateLimiting(RateLimits.AuthPolicy)
            .WithTags("Auth").WithSummary("Create an account (and its organisation, or join one with an invite code)");

        var users = app.MapGroup("/api/v1/users").WithTags("Users");
        users.MapGet("/me", Me).RequireAuthorization(AuthenticationSetup.TenantPolicy).WithSummary("The signed-in user");
        users.MapGet("", List).RequireAuthorization(AuthenticationSetup.AdminPolicy).WithSummary("All users (admin)");
        users.MapPut("/{id:guid}/roles", SetRoles).RequireAuthorization(AuthenticationSetup.AdminPolicy).WithSummary("Replace a user's roles (admin)");
    }

    private static async Task<Results<Created<SignupResponse>, ValidationProblem, ProblemHttpResult>> Signup(
        SignupRequest request, IdentityDbContext db, IPasswordHasher<User> hasher, CancellationToken ct)
    {
        var v = new Validator();
        AccountRules.CheckUsername(v, request.Username);
        AccountRules.CheckPassword(v, request.Password);
        AccountRules.CheckEmail(v, request.Email);
        AccountRules.CheckOrganizationName(v, request.Organization);
        if (request.Organization is not null && request.InviteCode is not null)
            v.Add("organization", "cannot be given together with invite_code: an invite joins its own organisation");
        if (request.InviteCode is { Length: 0 }) v.Add("invite_code", "must not be empty");
        if (v.Failed) return v.Problem();
        var username = request.Username!;

        if (await db.Users.AnyAsync(u => u.Username == username, ct))
            return Problems.Conflict($"The username '{username}' is taken.");

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        Guid? join = null;
        if (request.InviteCode is { } code)
        {
            join = await Organizations.InviteEndpoints.ConsumeAsync(db, code, ct);
            if (join is null) return new Validator().Add("invite_code", "is unknown, already used or expired").Problem();
        }
        var user = NewAccounts.Add(db, username, [Roles.User], email: request.Email,
            newOrganizationName: request.Organization?.Trim(), joinOrganization: join);
        user.PasswordHash = hasher.HashPassword(user, request.Password!);
        try
        {
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        }
        catch (DbUpdateException ex) when (NewAccounts.IsDuplicate(ex))
        {
            return Problems.Conflict($"The username '{username}' is taken.");
        }
        var organizationName = await db.Organizations.Where(o => o.Id == user.OrganizationId).Select(o => o.Name).SingleAsync(ct);
        return TypedResults.Created("/api/v1/users/me", new SignupResponse(user.Id, user.Username, user.OrganizationId, organizationName));
    }

    private static async Task<Results<Ok<UserView>, ProblemHttpResult>> Me(HttpContext http, IdentityDbContext db, CancellationToken ct)
    {
        var id = http.User.UserId();
        var user = await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.Id == id, ct);
        if (user is null) return Problems.NotFound("User");
        var organizationName = await db.Organizations.Where(o => o.Id == user.OrganizationId).Select(o => o.Name).SingleOrDefaultAsync(ct);
        return TypedResults.Ok(UserView.From(user, organizationName));
    }

    private static async Task<Results<Ok<UserList>, ValidationProblem>> List(
        IdentityDbContext db, int? page, int? limit, [FromQuery(Name = "organization_id")] Guid? organizationId, CancellationToken ct)
    {
        var v = new Validator();
        v.Require(page is null or >= 1, "page", "must be at least 1");
        v.Require(limit is null or (>= 1 and <= 100), "limit", "must be between 1 and 100");
        if (v.Failed) return v.Problem();
        int p = page ?? 1, l = limit ?? 20;

        var query = db.Users.AsNoTracking();
        if (organizationId is Guid org) query = query.Where(u => u.OrganizationId == org);
        var total = await query.CountAsync(ct);
        var rows = await query.OrderBy(u => u.CreatedAt).ThenBy(u => u.Id).Skip((p - 1) * l).Take(l)
            .Select(u => new { User = u, Organization = db.Organizations.Where(o => o.Id == u.OrganizationId).Select(o => o.Name).FirstOrDefault() })
            .ToListAsync(ct);
        return TypedResults.Ok(new UserList(rows.Select(r => UserView.From(r.User, r.Organization)).ToList(), total, p, l));
    }

    private static async Task<Results<Ok<UserView>, ValidationProblem, ProblemHttpResult>> SetRoles(
        Guid id, RolesRequest request, IdentityDbContext db, CancellationToken ct)
    {
        var v = new Validator();
        if (request.Roles is not { Count: > 0 }) v.Add("roles", "must name at least one role");
        else
            foreach (var role in request.Roles.Where(r => !AssignableRoles.Contains(r)).Distinct())
                v.Add("roles", $"'{role}' is not a role a user can hold (allowed: {string.Join(", ", AssignableRoles)})");
        if (v.Failed) return v.Problem();

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        // Role changes take turns, so two admins demoting each other cannot leave no admin at all.
        await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({RoleChangeLock})", ct);
        var user = await db.Users.SingleOrDefaultAsync(u => u.Id == id, ct);
        if (user is null) return Problems.NotFound("User");
        var roles = request.Roles!.Distinct().OrderBy(r => r).ToList();
        if (user.Roles.Contains(Roles.Admin) && !roles.Contains(Roles.Admin)
            && !await db.Users.AnyAsync(u => u.Id != id && u.Roles.Contains(Roles.Admin), ct))
            return Problems.Conflict("This is the last admin: make another user admin first.");
        user.Roles = roles;
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        var organizationName = await db.Organizations.Where(o => o.Id == user.OrganizationId).Select(o => o.Name).SingleOrDefaultAsync(ct);
        return TypedResults.Ok(UserView.From(user, organizationName));
    }
}
