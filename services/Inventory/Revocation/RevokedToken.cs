namespace Aetherium.Inventory.Revocation;

/// <summary>A worker token (by its jti) that identity revoked: agents presenting it are refused.</summary>
public sealed class RevokedToken
{
    public Guid TokenId { get; set; }
    public Guid WorkerId { get; set; }
    public DateTimeOffset RevokedAt { get; set; }
}
