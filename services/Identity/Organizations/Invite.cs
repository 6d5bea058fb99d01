namespace Aetherium.Identity.Organizations;

/// <summary>A single-use code that lets a new user sign up into an existing organisation.</summary>
public sealed class Invite
{
    public Guid Id { get; set; }
    /// <summary>SHA-256 of the code: the code itself is a secret and is only ever shown to its creator.</summary>
    public required string CodeHash { get; set; }
    public Guid OrganizationId { get; set; }
    public Guid CreatedBy { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
    public DateTimeOffset? UsedAt { get; set; }
}
