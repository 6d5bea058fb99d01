using Aetherium.Contracts;
using Aetherium.Identity.Accounts;
using Aetherium.Identity.Http;
using Aetherium.Identity.Persistence;
using Aetherium.Identity.Sessions;
using Aetherium.ServiceDefaults.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Aetherium.Identity.Wallets;

/// <summary>
/// Sign-in with an Ethereum wallet: the service issues an EIP-4361 message with a single-use nonce,
/// the wallet signs it (EIP-191 personal_sign), and the service recovers the signer from the signature.
/// </summary>
public static class WalletEndpoints
{
    public sealed record Challenge(string Address, string Message, string Nonce, DateTimeOffset IssuedAt, DateTimeOffset ExpiresAt);
    public sealed record WalletSignIn(string? Address, string? Message, string? Signature);

    public static void MapWallet(this IEndpointRouteBuilder app)
    {
        var wallet = app.MapGroup("/api/v1/auth/wallet").WithTags("Auth").RequireRateLimiting(RateLimits.AuthPolicy).AllowAnonymous();
        wallet.MapGet("/challenge", IssueChallenge).WithSummary("An EIP-4361 message for the wallet to sign");
        wallet.MapPost("", SignIn).WithSummary("Sign in with the signed challenge");
    }

    private static async Task<Results<Ok<Challenge>, ValidationProblem>> IssueChallenge(
        string? address, HttpRequest request, IdentityDbContext db, IOptions<WalletSettings> options, CancellationToken ct)
    {
        if (!Ethereum.TryParseAddress(address, out var lower))
            return new Validator().Add("address", "must be 0x followed by 40 hexadecimal digits").Problem();
        var settings = options.Value;
        var now = DateTimeOffset.UtcNow;
        now = now.AddTicks(-(now.Ticks % TimeSpan.TicksPerMillisecond)); // the message carries milliseconds
        var expires = now + settings.ChallengeLifetime;
        var nonce = SignInMessage.NewNonce();
        var checksum = Ethereum.ToChecksumAddress(lower);
        var message = SignInMessage.Create(
            settings.Domain ?? request.Host.Value ?? "localhost", checksum, settings.Statement,
            settings.Uri ?? $"{request.Scheme}://{request.Host}", settings.ChainId, nonce, now, expires);
        db.WalletChallenges.Add(new WalletChallenge { Nonce = nonce, Address = lower, Message = message, IssuedAt = now, ExpiresAt = expires });
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(new Challenge(checksum, message, nonce, now, expires));
    }

    private static async Task<Results<Ok<TokenPair>, ValidationProblem, ProblemHttpResult>> SignIn(
        WalletSignIn request, IdentityDbContext db, SessionService sessions, ILoggerFactory logs, CancellationToken ct)
    {
        var v = new Validator();
        if (!Ethereum.TryParseAddress(request.Address, out var address)) v.Add("address", "must be 0x followed by 40 hexadecimal digits");
        if (string.IsNullOrEmpty(request.Message)) v.Add("message", "is required");
        else if (request.Message.Length > 2000) v.Add("message", "must be at most 2000 characters");
        if (!Ethereum.TryParseSignature(request.Signature, out var signature))
            v.Add("signature", "must be 0x followed by 130 hexadecimal digits (r, s, v with v 27/28 or 0/1)");
        if (v.Failed) return v.Problem();
        var message = request.Message!;

        var nonce = SignInMessage.Nonce(message);
        var challenge = nonce is null ? null : await db.WalletChallenges.AsNoTracking().SingleOrDefaultAsync(c => c.Nonce == nonce, ct);
        var now = DateTimeOffset.UtcNow;
        if (challenge is null) return Refused("The message is not a challenge issued by this service.");
        if (challenge.Message != message) return Refused("The message does not match the issued challenge.");
        if (challenge.Address != address) return Refused("The challenge was issued to another address.");
        if (challenge.UsedAt is not null) return Refused("The challenge was already used; ask for a new one.");
        if (challenge.ExpiresAt <= now) return Refused("The challenge has expired; ask for a new one.");
        if (Ethereum.RecoverAddress(Ethereum.PersonalMessageHash(message), signature) != address)
            return Refused("The signature was not made by this address.");

        var user = await FindOrCreateAsync(db, address, ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var consumed = await db.WalletChallenges
            .Where(c => c.Nonce == challenge.Nonce && c.UsedAt == null && c.ExpiresAt > now)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.UsedAt, now), ct);
        if (consumed == 0) return Refused("The challenge was already used; ask for a new one.");
        var tokens = await sessions.StartAsync(user, ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        logs.CreateLogger(typeof(WalletEndpoints)).LogInformation("Wallet sign-in of user {UserId}", user.Id);
        return TypedResults.Ok(tokens);
    }

    /// <summary>The wallet's account, created with its own organisation on first sign-in.</summary>
    private static async Task<User> FindOrCreateAsync(IdentityDbContext db, string address, CancellationToken ct)
    {
        var user = await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.WalletAddress == address, ct);
        if (user is not null) return user;
        user = NewAccounts.Add(db, address, [Roles.User], walletAddress: address, newOrganizationName: Ethereum.ToChecksumAddress(address));
        try
        {
            await db.SaveChangesAsync(ct);
            return user;
        }
        catch (DbUpdateException ex) when (NewAccounts.IsDuplicate(ex))
        {
            // The same wallet's first sign-in ran twice at once: the other one created the account.
            db.ChangeTracker.Clear();
            return await db.Users.AsNoTracking().SingleAsync(u => u.WalletAddress == address, ct);
        }
    }

    private static ProblemHttpResult Refused(string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Wallet sign-in refused", detail: detail);
}
