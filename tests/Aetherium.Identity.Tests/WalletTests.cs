using System.Net;
using System.Text.Json;
using Aetherium.Identity.Wallets;
using Microsoft.EntityFrameworkCore;
using Xunit;

namespace Aetherium.Identity.Tests;

/// <summary>
/// Wallet sign-in. The fixed ethers vectors carry fixed nonces, so the tests record them as issued
/// challenges (as the challenge endpoint would have); challenges issued at run time are signed by
/// <see cref="TestWallet"/>, which reproduces ethers' signatures exactly.
/// </summary>
public sealed class WalletTests(IdentityFixture fx) : IClassFixture<IdentityFixture>
{
    private HttpClient Client => fx.Client;

    private Task IssuedAsync(string message, string address, DateTimeOffset expiresAt) => fx.DbAsync(async db =>
    {
        var nonce = SignInMessage.Nonce(message)!;
        if (!await db.WalletChallenges.AnyAsync(c => c.Nonce == nonce))
        {
            db.WalletChallenges.Add(new WalletChallenge
            {
                Nonce = nonce, Address = address.ToLowerInvariant(), Message = message,
                IssuedAt = expiresAt.AddMinutes(-5), ExpiresAt = expiresAt,
            });
            await db.SaveChangesAsync();
        }
        return 0;
    });

    private Task<HttpResponseMessage> SignInAsync(string address, string message, string signature) =>
        Client.PostAsync("/api/v1/auth/wallet", new { address, message, signature });

    private static string Detail(JsonElement problem) => problem.GetProperty("detail").GetString()!;

    [Fact]
    public async Task An_ethers_signature_signs_in_creates_the_account_once_and_its_nonce_works_once()
    {
        await IssuedAsync(EthersVectors.Valid, EthersVectors.AddressA, DateTimeOffset.Parse("2099-01-01T00:00:00Z"));

        var tokens = await (await SignInAsync(EthersVectors.AddressA, EthersVectors.Valid, EthersVectors.ValidSignature)).JsonAsync(HttpStatusCode.OK);
        Assert.Equal("Bearer", tokens.GetProperty("token_type").GetString());
        var me = await (await Client.GetAsync("/api/v1/users/me", tokens.GetProperty("access_token").GetString())).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(EthersVectors.AddressA.ToLowerInvariant(), me.GetProperty("wallet_address").GetString());
        Assert.Equal(EthersVectors.AddressA.ToLowerInvariant(), me.GetProperty("username").GetString());
        Assert.Equal(EthersVectors.AddressA, me.GetProperty("organization_name").GetString());
        Assert.Equal(["user"], me.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));

        var replay = await (await SignInAsync(EthersVectors.AddressA, EthersVectors.Valid, EthersVectors.ValidSignature)).JsonAsync(HttpStatusCode.Unauthorized);
        Assert.Contains("already used", Detail(replay));

        // A fresh challenge for the same wallet signs into the same account (lower-case query, checksummed message).
        var challenge = await (await Client.GetAsync($"/api/v1/auth/wallet/challenge?address={EthersVectors.AddressA.ToLowerInvariant()}", token: null)).JsonAsync(HttpStatusCode.OK);
        var message = challenge.GetProperty("message").GetString()!;
        var again = await (await SignInAsync(EthersVectors.AddressA, message, new TestWallet(EthersVectors.KeyA).SignMessage(message))).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(me.GetProperty("user_id").GetGuid(), again.GetProperty("user_id").GetGuid());
    }

    [Fact]
    public async Task The_challenge_is_an_EIP4361_message_with_a_fresh_nonce_that_expires_in_five_minutes()
    {
        var wallet = new TestWallet("0x" + new string('4', 63) + "2");
        var first = await (await Client.GetAsync($"/api/v1/auth/wallet/challenge?address={wallet.Address}", token: null)).JsonAsync(HttpStatusCode.OK);
        var second = await (await Client.GetAsync($"/api/v1/auth/wallet/challenge?address={wallet.Address}", token: null)).JsonAsync(HttpStatusCode.OK);
        var message = first.GetProperty("message").GetString()!;
        var nonce = first.GetProperty("nonce").GetString()!;
        var checksum = Ethereum.ToChecksumAddress(wallet.Address);
        var lines = message.Split('\n');

        Assert.Equal("localhost wants you to sign in with your Ethereum account:", lines[0]);
        Assert.Equal(checksum, lines[1]);
        Assert.Equal(checksum, first.GetProperty("address").GetString());
        Assert.Contains("URI: http://localhost", lines);
        Assert.Contains("Version: 1", lines);
        Assert.Contains("Chain ID: 1", lines);
        Assert.Contains($"Nonce: {nonce}", lines);
        Assert.True(nonce.Length >= 8 && nonce.All(char.IsAsciiLetterOrDigit));
        Assert.NotEqual(nonce, second.GetProperty("nonce").GetString());
        var issued = first.GetProperty("issued_at").GetDateTimeOffset();
        Assert.Equal(TimeSpan.FromMinutes(5), first.GetProperty("expires_at").GetDateTimeOffset() - issued);
        Assert.Contains($"Issued At: {SignInMessage.Timestamp(issued)}", lines);

        // The whole round trip: what the wallet signs is accepted.
        await (await SignInAsync(wallet.Address, message, wallet.SignMessage(message))).JsonAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_signature_by_another_key_is_refused_and_leaves_the_challenge_usable()
    {
        await IssuedAsync(EthersVectors.OtherSigner, EthersVectors.AddressA, DateTimeOffset.UtcNow.AddMinutes(5));
        var refused = await (await SignInAsync(EthersVectors.AddressA, EthersVectors.OtherSigner, EthersVectors.OtherSignerSignature)).JsonAsync(HttpStatusCode.Unauthorized);
        Assert.Contains("not made by this address", Detail(refused));
        Assert.Null(await fx.DbAsync(db => db.WalletChallenges.Where(c => c.Nonce == "VectorNonceSigner001").Select(c => c.UsedAt).SingleAsync()));
    }

    [Fact]
    public async Task An_expired_challenge_is_refused()
    {
        await IssuedAsync(EthersVectors.Expired, EthersVectors.AddressA, DateTimeOffset.Parse("2024-01-01T00:05:00Z"));
        var refused = await (await SignInAsync(EthersVectors.AddressA, EthersVectors.Expired, EthersVectors.ExpiredSignature)).JsonAsync(HttpStatusCode.Unauthorized);
        Assert.Contains("expired", Detail(refused));
    }

    [Fact]
    public async Task A_message_other_than_the_issued_challenge_is_refused_even_when_signed_by_the_wallet()
    {
        await IssuedAsync(EthersVectors.Valid, EthersVectors.AddressA, DateTimeOffset.Parse("2099-01-01T00:00:00Z"));
        var refused = await (await SignInAsync(EthersVectors.AddressA, EthersVectors.Altered, EthersVectors.AlteredSignature)).JsonAsync(HttpStatusCode.Unauthorized);
        Assert.Contains("does not match", Detail(refused));

        // A message with a nonce this service never issued.
        var invented = EthersVectors.Siwe(EthersVectors.AddressA, "Sign in to Aetherium.", "NeverIssued000000001", "2030-01-01T00:00:00.000Z", "2099-01-01T00:00:00.000Z");
        var unknown = await (await SignInAsync(EthersVectors.AddressA, invented, new TestWallet(EthersVectors.KeyA).SignMessage(invented))).JsonAsync(HttpStatusCode.Unauthorized);
        Assert.Contains("not a challenge issued", Detail(unknown));
    }

    [Fact]
    public async Task A_challenge_issued_to_another_address_is_refused()
    {
        await IssuedAsync(EthersVectors.WalletB, EthersVectors.AddressB, DateTimeOffset.UtcNow.AddMinutes(5));
        var refused = await (await SignInAsync(EthersVectors.AddressA, EthersVectors.WalletB, EthersVectors.WalletBSignature)).JsonAsync(HttpStatusCode.Unauthorized);
        Assert.Contains("another address", Detail(refused));
        // The rightful owner still can (and, being new, gets an account).
        await (await SignInAsync(EthersVectors.AddressB, EthersVectors.WalletB, EthersVectors.WalletBSignature)).JsonAsync(HttpStatusCode.OK);
    }

    [Theory]
    [InlineData("0x1234", "signature")]
    [InlineData("0x88d0f5f2d39a088b37183ebf7381d0343d272ba4b28c8d9ee9c5da4bbc2e1b126adec593b6402f7a84ce9ea7c8dadd7fdb8579ea3fa192aa94a92c618660b16005", "signature")]
    [InlineData("0xZZd0f5f2d39a088b37183ebf7381d0343d272ba4b28c8d9ee9c5da4bbc2e1b126adec593b6402f7a84ce9ea7c8dadd7fdb8579ea3fa192aa94a92c618660b1601c", "signature")]
    public async Task Malformed_signatures_are_bad_requests(string signature, string field)
    {
        var problem = await (await SignInAsync(EthersVectors.AddressA, EthersVectors.Valid, signature)).JsonAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _));
    }

    [Fact]
    public async Task Malformed_addresses_are_bad_requests()
    {
        var problem = await (await SignInAsync("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb9226", EthersVectors.Valid, EthersVectors.ValidSignature)).JsonAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("address", out _));
        await (await Client.GetAsync("/api/v1/auth/wallet/challenge?address=0xnothex", token: null)).JsonAsync(HttpStatusCode.BadRequest);
        await (await Client.GetAsync("/api/v1/auth/wallet/challenge", token: null)).JsonAsync(HttpStatusCode.BadRequest);
        var empty = await (await Client.PostAsync("/api/v1/auth/wallet", new { })).JsonAsync(HttpStatusCode.BadRequest);
        Assert.Equal(3, empty.GetProperty("errors").EnumerateObject().Count());
    }
}
