using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Aetherium.Lease.Tests;

/// <summary>OpenSSH public key lines (authorized_keys format) built from real key material.</summary>
public static class SshKeys
{
    public static string Ed25519(string comment = "tenant@laptop") =>
        Line("ssh-ed25519", Wire(Encoding.ASCII.GetBytes("ssh-ed25519"), RandomNumberGenerator.GetBytes(32)), comment);

    public static string Rsa(int bits = 3072)
    {
        using var rsa = RSA.Create(bits);
        var p = rsa.ExportParameters(false);
        return Line("ssh-rsa", Wire(Encoding.ASCII.GetBytes("ssh-rsa"), MpInt(p.Exponent!), MpInt(p.Modulus!)), "rsa@laptop");
    }

    public static string EcdsaP256()
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var q = ec.ExportParameters(false).Q;
        var point = new byte[] { 0x04 }.Concat(q.X!).Concat(q.Y!).ToArray();
        return Line("ecdsa-sha2-nistp256", Wire(Encoding.ASCII.GetBytes("ecdsa-sha2-nistp256"), Encoding.ASCII.GetBytes("nistp256"), point), "ec@laptop");
    }

    private static string Line(string type, byte[] blob, string comment) => $"{type} {Convert.ToBase64String(blob)} {comment}";

    private static byte[] MpInt(byte[] value) => value[0] >= 0x80 ? [0, .. value] : value;

    public static byte[] Wire(params byte[][] parts)
    {
        var result = new List<byte>();
        foreach (var part in parts)
        {
            var length = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(length, (uint)part.Length);
            result.AddRange(length);
            result.AddRange(part);
        }
        return result.ToArray();
    }
}
