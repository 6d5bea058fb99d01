namespace Aetherium.Identity.Wallets;

/// <summary>An EIP-4361 message issued to one address; its nonce can be used once, before it expires.</summary>
public sealed class WalletChallenge
{
    public required string Nonce { get; set; }
    /// <summary>Lower-case 0x address.</summary>
    public required string Address { get; set; }
    /// <summary>The exact text the wallet must sign.</summary>
    public required string Message { get; set; }
    public DateTimeOffset IssuedAt { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
    public DateTimeOffset? UsedAt { get; set; }
}
