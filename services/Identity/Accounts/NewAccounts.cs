using Aetherium.Contracts;
using Aetherium.Identity.Persistence;
using Aetherium.ServiceDefaults.Data;
using Npgsql;

namespace Aetherium.Identity.Accounts;

/// <summary>Adds a user (and its own organisation unless it joins one) with its UserRegistered event.</summary>
public static class NewAccounts
{
    public static User Add(IdentityDbContext db, string username, IReadOnlyList<string> roles,
        string? email = null, string? passwordHash = null, string? walletAddress = null,
        string? newOrganizationName = null, Guid? joinOrganization = null)
    {
        var now = DateTimeOffset.UtcNow;
        var organizationId = joinOrganization ?? NewId.Next();
        if (joinOrganization is null)
            db.Organizations.Add(new Organization { Id = organizationId, Name = newOrganizationName ?? username, CreatedAt = now });
        var user = new User
        {
            Id = NewId.Next(),
            Username = username,
            Email = email,
            PasswordHash = passwordHash,
            WalletAddress = walletAddress,
            OrganizationId = organizationId,
            Roles = [.. roles],
            CreatedAt = now,
        };
        db.Users.Add(user);
        db.Publish(new UserRegistered(user.Id, user.Username, organizationId, user.Roles, now));
        return user;
    }

    /// <summary>The save failed because the username or wallet address was taken meanwhile.</summary>
    public static bool IsDuplicate(Exception ex) =>
        ex.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };
}
