namespace Aetherium.Identity.WorkerTokens;

/// <summary>A long-lived token minted for one worker (seed 004); the row is what makes it listable and revocable.</summary>
public sealed class WorkerToken
{
    /// <summary>The token's "jti".</summary>
    public Guid Id { get; set; }
    public Guid WorkerId { get; set; }
    public Guid OrganizationId { get; set; }
    /// <summary>The signing key's kid: that key stays published while this token is alive.</summary>
    public required string KeyId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }
    public string? RevokedReason { get; set; }
}
