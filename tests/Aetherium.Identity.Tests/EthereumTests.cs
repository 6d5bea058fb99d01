using Aetherium.Identity.Wallets;
using Xunit;

namespace Aetherium.Identity.Tests;

/// <summary>The service's Ethereum primitives against values computed by ethers (EthersVectors).</summary>
public sealed class EthereumTests
{
    [Fact]
    public void Keccak_checksum_and_personal_message_hash_match_ethers()
    {
        Assert.Equal(EthersVectors.KeccakOfHello, "0x" + Convert.ToHexStringLower(Ethereum.Keccak256("hello"u8)));
        Assert.Equal(EthersVectors.ChecksumOf5aaeb, Ethereum.ToChecksumAddress("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"));
        Assert.Equal(EthersVectors.AddressA, Ethereum.ToChecksumAddress(EthersVectors.AddressA.ToLowerInvariant()));
        Assert.Equal(EthersVectors.ValidHash, "0x" + Convert.ToHexStringLower(Ethereum.PersonalMessageHash(EthersVectors.Valid)));
    }

    [Theory]
    [InlineData(nameof(EthersVectors.Valid), EthersVectors.ValidSignature, EthersVectors.AddressA)]
    [InlineData(nameof(EthersVectors.Expired), EthersVectors.ExpiredSignature, EthersVectors.AddressA)]
    [InlineData(nameof(EthersVectors.OtherSigner), EthersVectors.OtherSignerSignature, EthersVectors.AddressB)]
    [InlineData(nameof(EthersVectors.WalletB), EthersVectors.WalletBSignature, EthersVectors.AddressB)]
    public void The_signer_of_an_ethers_signature_is_recovered(string vector, string signature, string signer)
    {
        var message = (string)typeof(EthersVectors).GetField(vector)!.GetValue(null)!;
        Assert.True(Ethereum.TryParseSignature(signature, out var bytes));
        Assert.Equal(signer.ToLowerInvariant(), Ethereum.RecoverAddress(Ethereum.PersonalMessageHash(message), bytes));
    }

    [Fact]
    public void A_signature_over_another_message_recovers_another_address()
    {
        Assert.True(Ethereum.TryParseSignature(EthersVectors.AlteredSignature, out var bytes));
        Assert.NotEqual(EthersVectors.AddressA.ToLowerInvariant(), Ethereum.RecoverAddress(Ethereum.PersonalMessageHash(EthersVectors.Valid), bytes));
    }

    [Fact]
    public void High_s_and_zero_values_are_not_signatures()
    {
        Assert.True(Ethereum.TryParseSignature(EthersVectors.ValidSignature, out var bytes));
        var n = Org.BouncyCastle.Crypto.EC.CustomNamedCurves.GetByName("secp256k1").N;
        // The malleable twin (s' = n - s, flipped v) verifies mathematically, but wallets never produce it (EIP-2).
        var s = new Org.BouncyCastle.Math.BigInteger(1, bytes, 32, 32);
        var twin = (byte[])bytes.Clone();
        n.Subtract(s).ToByteArrayUnsigned().CopyTo(twin, 32);
        twin[64] = (byte)(bytes[64] == 27 ? 28 : 27);
        Assert.Null(Ethereum.RecoverAddress(Ethereum.PersonalMessageHash(EthersVectors.Valid), twin));
        Assert.Null(Ethereum.RecoverAddress(Ethereum.PersonalMessageHash(EthersVectors.Valid), new byte[64].Append((byte)27).ToArray()));
    }

    [Theory]
    [InlineData("0x1234")]
    [InlineData("88d0f5f2d39a088b37183ebf7381d0343d272ba4b28c8d9ee9c5da4bbc2e1b126adec593b6402f7a84ce9ea7c8dadd7fdb8579ea3fa192aa94a92c618660b1601c00")]
    [InlineData("0xzzd0f5f2d39a088b37183ebf7381d0343d272ba4b28c8d9ee9c5da4bbc2e1b126adec593b6402f7a84ce9ea7c8dadd7fdb8579ea3fa192aa94a92c618660b1601c")]
    [InlineData("0x88d0f5f2d39a088b37183ebf7381d0343d272ba4b28c8d9ee9c5da4bbc2e1b126adec593b6402f7a84ce9ea7c8dadd7fdb8579ea3fa192aa94a92c618660b16005")]
    public void Malformed_signatures_do_not_parse(string text) => Assert.False(Ethereum.TryParseSignature(text, out _));

    [Fact]
    public void The_test_wallet_signs_exactly_as_ethers()
    {
        var a = new TestWallet(EthersVectors.KeyA);
        Assert.Equal(EthersVectors.AddressA.ToLowerInvariant(), a.Address);
        Assert.Equal(EthersVectors.ValidSignature, a.SignMessage(EthersVectors.Valid));
        Assert.Equal(EthersVectors.ExpiredSignature, a.SignMessage(EthersVectors.Expired));
        Assert.Equal(EthersVectors.WalletBSignature, new TestWallet(EthersVectors.KeyB).SignMessage(EthersVectors.WalletB));
    }
}
