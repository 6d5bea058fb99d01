namespace Aetherium.Identity.Tokens;

/// <summary>
/// An ES256 key. Life: created as the "next" key (published in the JWKS but not yet signing, so
/// every service learns it before the first token it signs), activated by a rotation (the one
/// signing key), retired by the following rotation (still published while tokens it signed live).
/// </summary>
public sealed class SigningKey
{
    /// <summary>The JWT "kid".</summary>
    public required string Id { get; set; }
    public required string Algorithm { get; set; }
    /// <summary>PKCS#8 private key. Never logged, never served.</summary>
    public required byte[] PrivateKey { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? ActivatedAt { get; set; }
    public DateTimeOffset? RetiredAt { get; set; }
}
