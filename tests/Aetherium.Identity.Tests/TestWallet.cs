using System.Globalization;
using System.Text;
using Org.BouncyCastle.Asn1.X9;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.EC;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Math;

namespace Aetherium.Identity.Tests;

/// <summary>
/// A wallet for tests that need to sign challenges the service issues at run time: personal_sign with
/// RFC 6979 nonces and low s, as ethers does. Written apart from the service's code, and checked to
/// reproduce ethers' signatures byte for byte (EthereumTests).
/// </summary>
public sealed class TestWallet(string privateKeyHex)
{
    private static readonly X9ECParameters Curve = CustomNamedCurves.GetByName("secp256k1");
    private readonly BigInteger _d = new(1, Convert.FromHexString(privateKeyHex[2..]));

    public string Address
    {
        get
        {
            var q = Curve.G.Multiply(_d).Normalize().GetEncoded(false);
            return "0x" + Convert.ToHexStringLower(Keccak(q[1..])[12..]);
        }
    }

    public string SignMessage(string message)
    {
        var body = Encoding.UTF8.GetBytes(message);
        var hash = Keccak([.. Encoding.UTF8.GetBytes("\x19" + "Ethereum Signed Message:\n" + body.Length.ToString(CultureInfo.InvariantCulture)), .. body]);
        var n = Curve.N;
        var e = new BigInteger(1, hash);
        var k = new HMacDsaKCalculator(new Sha256Digest());
        k.Init(n, _d, hash);
        while (true)
        {
            var kv = k.NextK();
            var point = Curve.G.Multiply(kv).Normalize();
            var r = point.AffineXCoord.ToBigInteger().Mod(n);
            if (r.SignValue == 0) continue;
            var s = kv.ModInverse(n).Multiply(e.Add(_d.Multiply(r))).Mod(n);
            if (s.SignValue == 0) continue;
            var recovery = point.AffineYCoord.TestBitZero() ? 1 : 0;
            if (s.CompareTo(n.ShiftRight(1)) > 0)
            {
                s = n.Subtract(s);
                recovery ^= 1;
            }
            return "0x" + Hex32(r) + Hex32(s) + (27 + recovery).ToString("x2", CultureInfo.InvariantCulture);
        }
    }

    private static string Hex32(BigInteger v) => Convert.ToHexStringLower(v.ToByteArrayUnsigned()).PadLeft(64, '0');

    private static byte[] Keccak(byte[] data)
    {
        var digest = new KeccakDigest(256);
        digest.BlockUpdate(data, 0, data.Length);
        var output = new byte[32];
        digest.DoFinal(output, 0);
        return output;
    }
}
