using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Aetherium.Identity.Http;

/// <summary>Opaque secrets (refresh tokens, invite codes): random, stored only as their SHA-256.</summary>
public static class Secrets
{
    public static string NewToken(int bytes = 32) => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(bytes));

    public static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));
}
