namespace Aetherium.Identity.Tests;

/// <summary>
/// Signatures made outside this project by ethers 6.17.0 (npm "ethers@6", Wallet.signMessage = EIP-191
/// personal_sign, deterministic RFC 6979), in a scratch directory with Node 20:
/// <code>
/// import { Wallet, hashMessage, getAddress, keccak256, toUtf8Bytes } from "ethers";
/// const a = new Wallet(KeyA), b = new Wallet(KeyB);
/// const siwe = (address, statement, nonce, issued, expires) =>
///   `localhost wants you to sign in with your Ethereum account:\n${address}\n\n${statement}\n\nURI: http://localhost\n` +
///   `Version: 1\nChain ID: 1\nNonce: ${nonce}\nIssued At: ${issued}\nExpiration Time: ${expires}`;
/// await a.signMessage(valid); hashMessage(valid); await b.signMessage(otherSigner); ...
/// keccak256(toUtf8Bytes("hello")); getAddress("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed");
/// </code>
/// The keys are Hardhat's well-known development accounts #0 and #1.
/// </summary>
public static class EthersVectors
{
    public const string KeyA = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
    public const string KeyB = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
    public const string AddressA = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
    public const string AddressB = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";

    public static string Siwe(string address, string statement, string nonce, string issued, string expires) =>
        $"localhost wants you to sign in with your Ethereum account:\n{address}\n\n{statement}\n\nURI: http://localhost\nVersion: 1\nChain ID: 1\nNonce: {nonce}\nIssued At: {issued}\nExpiration Time: {expires}";

    /// <summary>Signed by A for A.</summary>
    public static readonly string Valid = Siwe(AddressA, "Sign in to Aetherium.", "VectorNonceValid0001", "2030-01-01T00:00:00.000Z", "2099-01-01T00:00:00.000Z");
    public const string ValidSignature = "0x88d0f5f2d39a088b37183ebf7381d0343d272ba4b28c8d9ee9c5da4bbc2e1b126adec593b6402f7a84ce9ea7c8dadd7fdb8579ea3fa192aa94a92c618660b1601c";
    public const string ValidHash = "0x502b6f051c713e8bb40dd7ec6ba1e85c3a9886b3e0e699ca804cfd0dfbb5b932";

    /// <summary>Same nonce as <see cref="Valid"/>, different statement, signed by A.</summary>
    public static readonly string Altered = Siwe(AddressA, "Sign in to Aetherium and transfer everything.", "VectorNonceValid0001", "2030-01-01T00:00:00.000Z", "2099-01-01T00:00:00.000Z");
    public const string AlteredSignature = "0xf73395e372a2a6a7ba7a5675238118d09efc5efe194b84aad9e7b9e22feb0af24bff0179d4587c7f66073d334d076e1f8b39656a4c575e5668fd1271d51af8461c";

    /// <summary>Expired in 2024, signed by A.</summary>
    public static readonly string Expired = Siwe(AddressA, "Sign in to Aetherium.", "VectorNonceExpired01", "2024-01-01T00:00:00.000Z", "2024-01-01T00:05:00.000Z");
    public const string ExpiredSignature = "0x21ffc0287eda0b3c79986fe7c9370b04fb88018f860b453653c0cdb71c5586c85dd2d889a69a9afa50a65a01c47c89057a679e08a61e19982be387c3a22acaad1b";

    /// <summary>A challenge for A, signed by B.</summary>
    public static readonly string OtherSigner = Siwe(AddressA, "Sign in to Aetherium.", "VectorNonceSigner001", "2030-01-01T00:00:00.000Z", "2099-01-01T00:00:00.000Z");
    public const string OtherSignerSignature = "0x5389948b20595742dc9d9c8811489cceb71ec1e43eabf7eefac0ac4095a7c6172d4cbae9bbaec87fd747d6d65ebf8dc4b597c6553b47547489168bb192c9368f1b";

    /// <summary>Signed by B for B.</summary>
    public static readonly string WalletB = Siwe(AddressB, "Sign in to Aetherium.", "VectorNonceWalletB01", "2030-01-01T00:00:00.000Z", "2099-01-01T00:00:00.000Z");
    public const string WalletBSignature = "0x55c134250b1367916b1a3d26f2d6c4d7005fb1f910d8d53a8a7d8d05098be5070b111c4d79bda9ced01fb99114b86bb0880c1d8b225657de6b5a3a3d5d9aae9b1c";

    public const string KeccakOfHello = "0x1c8aff950685c2ed4bc3174f3472287b56d9517b9c948127319a09a7a36deac8";
    public const string ChecksumOf5aaeb = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
}
