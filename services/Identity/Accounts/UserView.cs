namespace Aetherium.Identity.Accounts;

/// <summary>A user as the API shows it (DESIGN §12 /users/me plus useful extras).</summary>
public sealed record UserView(
    Guid UserId, string Username, IReadOnlyList<string> Roles, Guid OrganizationId, string? OrganizationName,
    string? Email, string? WalletAddress, DateTimeOffset CreatedAt)
{
    public static UserView From(User u, string? organizationName) =>
        new(u.Id, u.Username, u.Roles, u.OrganizationId, organizationName, u.Email, u.WalletAddress, u.CreatedAt);
}
