using System.Security.Claims;
using Aetherium.Contracts;

namespace Aetherium.ServiceDefaults.Auth;

/// <summary>Claim names in Aetherium's JWTs, and typed access to them.</summary>
public static class Claims
{
    public const string Subject = "sub";
    public const string Name = "name";
    public const string Role = "role";
    public const string Organization = "org";
    public const string Worker = "worker_id";
    public const string TokenId = "jti";

    public static Guid UserId(this ClaimsPrincipal user) =>
        Guid.TryParse(user.FindFirstValue(Subject), out var id) ? id : Guid.Empty;

    public static Guid OrganizationId(this ClaimsPrincipal user) =>
        Guid.TryParse(user.FindFirstValue(Organization), out var id) ? id : Guid.Empty;

    public static Guid? WorkerId(this ClaimsPrincipal user) =>
        Guid.TryParse(user.FindFirstValue(Worker), out var id) ? id : null;

    public static bool IsAdmin(this ClaimsPrincipal user) => user.IsInRole(Roles.Admin);

    public static bool IsService(this ClaimsPrincipal user) => user.IsInRole(Roles.Service);

    /// <summary>Tenant scoping: admins and services see every organisation, everyone else their own.</summary>
    public static bool CanSee(this ClaimsPrincipal user, Guid organizationId) =>
        user.IsAdmin() || user.IsService() || user.OrganizationId() == organizationId;
}
