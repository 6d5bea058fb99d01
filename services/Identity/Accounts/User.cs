namespace Aetherium.Identity.Accounts;

/// <summary>A person (password or wallet sign-in) belonging to exactly one organisation.</summary>
public sealed class User
{
    public Guid Id { get; set; }
    /// <summary>Lower-case; for wallet accounts the lower-case address.</summary>
    public required string Username { get; set; }
    public string? Email { get; set; }
    /// <summary>ASP.NET Core PasswordHasher output (PBKDF2, salted); null for wallet-only accounts.</summary>
    public string? PasswordHash { get; set; }
    /// <summary>Lower-case 0x address for wallet accounts.</summary>
    public string? WalletAddress { get; set; }
    public Guid OrganizationId { get; set; }
    public List<string> Roles { get; set; } = [];
    public DateTimeOffset CreatedAt { get; set; }
}

public sealed class Organization
{
    public Guid Id { get; set; }
    /// <summary>Display name only: organisations are joined by invite code, never by name.</summary>
    public required string Name { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
