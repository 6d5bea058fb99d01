using System.Buffers;
using System.Globalization;
using System.Text;
using Org.BouncyCastle.Asn1.X9;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.EC;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Math.EC;

namespace Aetherium.Identity.Wallets;

/// <summary>
/// The Ethereum pieces of wallet sign-in: Keccak-256, EIP-55 addresses, EIP-191 personal-sign hashes
/// and recovery of the signer's address from a 65-byte secp256k1 signature (SEC 1 §4.1.6).
/// </summary>
public static class Ethereum
{
    private static readonly X9ECParameters Curve = CustomNamedCurves.GetByName("secp256k1");
    private static readonly BigInteger HalfOrder = Curve.N.ShiftRight(1);
    private static readonly SearchValues<char> HexDigits = SearchValues.Create("0123456789abcdefABCDEF");

    public static byte[] Keccak256(ReadOnlySpan<byte> data)
    {
        var digest = new KeccakDigest(256);
        digest.BlockUpdate(data);
        var hash = new byte[32];
        digest.DoFinal(hash, 0);
        return hash;
    }

    /// <summary>EIP-191 version 0x45: keccak256("\x19Ethereum Signed Message:\n" + byte length + message).</summary>
    public static byte[] PersonalMessageHash(string message)
    {
        var body = Encoding.UTF8.GetBytes(message);
        var prefix = Encoding.UTF8.GetBytes("\x19" + "Ethereum Signed Message:\n" + body.Length.ToString(CultureInfo.InvariantCulture));
        return Keccak256([.. prefix, .. body]);
    }

    /// <summary>"0x" + 40 hex digits in any case (EIP-55 checksums are not required); gives the lower-case form.</summary>
    public static bool TryParseAddress(string? text, out string lowerCase)
    {
        lowerCase = "";
        if (text is not { Length: 42 } || !text.StartsWith("0x", StringComparison.Ordinal) || text.AsSpan(2).ContainsAnyExcept(HexDigits)) return false;
        lowerCase = text.ToLowerInvariant();
        return true;
    }

    /// <summary>EIP-55 mixed-case checksum form of a lower-case address.</summary>
    public static string ToChecksumAddress(string lowerCase)
    {
        var hex = lowerCase[2..];
        var hash = Keccak256(Encoding.ASCII.GetBytes(hex));
        var sb = new StringBuilder("0x", 42);
        for (var i = 0; i < hex.Length; i++)
        {
            var nibble = (hash[i / 2] >> (i % 2 == 0 ? 4 : 0)) & 0xF;
            sb.Append(nibble >= 8 ? char.ToUpperInvariant(hex[i]) : hex[i]);
        }
        return sb.ToString();
    }

    /// <summary>"0x" + 130 hex digits: r (32 bytes), s (32 bytes), v (27/28, or 0/1).</summary>
    public static bool TryParseSignature(string? text, out byte[] signature)
    {
        signature = [];
        if (text is not { Length: 132 } || !text.StartsWith("0x", StringComparison.Ordinal) || text.AsSpan(2).ContainsAnyExcept(HexDigits)) return false;
        var bytes = Convert.FromHexString(text.AsSpan(2));
        if (bytes[64] is not (0 or 1 or 27 or 28)) return false;
        signature = bytes;
        return true;
    }

    /// <summary>The lower-case address whose key made <paramref name="signature"/> over <paramref name="hash"/>, or null if none can have.</summary>
    public static string? RecoverAddress(byte[] hash, byte[] signature)
    {
        var r = new BigInteger(1, signature, 0, 32);
        var s = new BigInteger(1, signature, 32, 32);
        var recoveryId = signature[64] >= 27 ? signature[64] - 27 : signature[64];
        // Out-of-range values, and high s (EIP-2: wallets sign with low s), are not valid signatures.
        if (r.SignValue <= 0 || r.CompareTo(Curve.N) >= 0 || s.SignValue <= 0 || s.CompareTo(HalfOrder) > 0) return null;

        // R is the curve point with x = r and the y parity the recovery id gives.
        var compressed = new byte[33];
        compressed[0] = (byte)(0x02 + (recoveryId & 1));
        var x = r.ToByteArrayUnsigned();
        x.CopyTo(compressed, 33 - x.Length);
        ECPoint point;
        try { point = Curve.Curve.DecodePoint(compressed); }
        catch (ArgumentException) { return null; } // no point with that x

        // Q = r⁻¹ (sR − eG)
        var e = new BigInteger(1, hash);
        var rInverse = r.ModInverse(Curve.N);
        var q = ECAlgorithms.SumOfTwoMultiplies(
            Curve.G, e.Negate().Mod(Curve.N).Multiply(rInverse).Mod(Curve.N),
            point, s.Multiply(rInverse).Mod(Curve.N)).Normalize();
        if (q.IsInfinity) return null;
        var publicKey = q.GetEncoded(compressed: false);
        return "0x" + Convert.ToHexStringLower(Keccak256(publicKey.AsSpan(1))[12..]);
    }
}
