namespace Aetherium.Identity.Sessions;

/// <summary>
/// One link of a sign-in session's refresh-token chain. Every use replaces the token by a new one
/// of the same family; presenting a used token again means it leaked, and the family is revoked.
/// </summary>
public sealed class RefreshToken
{
    public Guid Id { get; set; }
    public Guid FamilyId { get; set; }
    public Guid UserId { get; set; }
    /// <summary>SHA-256 of the opaque token: a database leak does not yield usable tokens.</summary>
    public required string TokenHash { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
    public DateTimeOffset? UsedAt { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }
}
