using System.Buffers.Binary;
using System.Text;

namespace Aetherium.Lease.Leases;

/// <summary>
/// Checks an OpenSSH public key line (<c>type base64 [comment]</c>, as in authorized_keys): a known
/// type, a blob that decodes, and whose wire format (RFC 4253 §6.6, RFC 8709, RFC 5656) matches that type.
/// </summary>
public static class SshPublicKey
{
    private const int MaxLength = 16 * 1024;
    private const int MinRsaBits = 2048;
    private static readonly Dictionary<string, string> EcdsaCurves = new()
    {
        ["ecdsa-sha2-nistp256"] = "nistp256",
        ["ecdsa-sha2-nistp384"] = "nistp384",
        ["ecdsa-sha2-nistp521"] = "nistp521",
    };

    /// <summary>Returns null when the key is acceptable, else why not.</summary>
    public static string? Problem(string key)
    {
        if (key.Length > MaxLength) return $"is longer than {MaxLength} characters";
        if (key.Contains('\n') || key.Contains('\r')) return "must be a single line";
        var parts = key.Trim().Split((char[]?)null, 3, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 2) return "must be '<type> <base64 key> [comment]' as in an authorized_keys file";
        var type = parts[0];
        if (type != "ssh-ed25519" && type != "ssh-rsa" && !EcdsaCurves.ContainsKey(type))
            return $"has unsupported type '{type}' (use ssh-ed25519, ssh-rsa or ecdsa-sha2-nistp256/384/521)";

        byte[] blob;
        try { blob = Convert.FromBase64String(parts[1]); }
        catch (FormatException) { return "has a key part that is not valid base64"; }

        var reader = new WireReader(blob);
        if (reader.String() is not { } inner || Encoding.ASCII.GetString(inner) != type)
            return "has a key blob that does not match its type";
        return type switch
        {
            "ssh-ed25519" => reader.String() is { Length: 32 } && reader.AtEnd ? null : "is not a valid ssh-ed25519 key",
            "ssh-rsa" => CheckRsa(reader),
            _ => CheckEcdsa(reader, EcdsaCurves[type]),
        };
    }

    private static string? CheckRsa(WireReader reader)
    {
        var exponent = reader.String();
        var modulus = reader.String();
        if (exponent is not { Length: > 0 } || modulus is not { Length: > 0 } || !reader.AtEnd) return "is not a valid ssh-rsa key";
        // mpint: big-endian, a leading zero byte only keeps the sign positive.
        var bytes = modulus.AsSpan().TrimStart((byte)0);
        var bits = bytes.Length == 0 ? 0 : (bytes.Length - 1) * 8 + (8 - byte.LeadingZeroCount(bytes[0]));
        return bits < MinRsaBits ? $"is an RSA key of {bits} bits; at least {MinRsaBits} are required" : null;
    }

    private static string? CheckEcdsa(WireReader reader, string curve)
    {
        var name = reader.String();
        var point = reader.String();
        if (name is null || Encoding.ASCII.GetString(name) != curve || point is not { Length: > 0 } || point[0] != 0x04 || !reader.AtEnd)
            return $"is not a valid ecdsa-sha2-{curve} key";
        return null;
    }

    private ref struct WireReader(ReadOnlySpan<byte> data)
    {
        private ReadOnlySpan<byte> _rest = data;

        public readonly bool AtEnd => _rest.IsEmpty;

        /// <summary>A uint32-length-prefixed string, or null when the data ends early.</summary>
        public byte[]? String()
        {
            if (_rest.Length < 4) return null;
            var length = BinaryPrimitives.ReadUInt32BigEndian(_rest);
            if (length > _rest.Length - 4) return null;
            var value = _rest.Slice(4, (int)length).ToArray();
            _rest = _rest[(4 + (int)length)..];
            return value;
        }
    }
}
