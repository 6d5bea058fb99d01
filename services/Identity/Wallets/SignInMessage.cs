using System.Globalization;
using System.Text;

namespace Aetherium.Identity.Wallets;

/// <summary>Configuration section "Wallet".</summary>
public sealed class WalletSettings
{
    /// <summary>The EIP-4361 domain; default: the host the caller reached (the gateway's, behind it).</summary>
    public string? Domain { get; set; }
    /// <summary>The EIP-4361 URI; default: scheme and host the caller reached.</summary>
    public string? Uri { get; set; }
    public int ChainId { get; set; } = 1;
    public string Statement { get; set; } = "Sign in to Aetherium.";
    public TimeSpan ChallengeLifetime { get; set; } = TimeSpan.FromMinutes(5);
}

/// <summary>An EIP-4361 ("Sign-In with Ethereum") message.</summary>
public static class SignInMessage
{
    public static string Create(string domain, string checksumAddress, string statement, string uri, int chainId,
        string nonce, DateTimeOffset issuedAt, DateTimeOffset expiresAt)
    {
        var sb = new StringBuilder();
        sb.Append(domain).Append(" wants you to sign in with your Ethereum account:\n");
        sb.Append(checksumAddress).Append("\n\n");
        sb.Append(statement).Append("\n\n");
        sb.Append("URI: ").Append(uri).Append('\n');
        sb.Append("Version: 1\n");
        sb.Append("Chain ID: ").Append(chainId.ToString(CultureInfo.InvariantCulture)).Append('\n');
        sb.Append("Nonce: ").Append(nonce).Append('\n');
        sb.Append("Issued At: ").Append(Timestamp(issuedAt)).Append('\n');
        sb.Append("Expiration Time: ").Append(Timestamp(expiresAt));
        return sb.ToString();
    }

    /// <summary>The nonce line's value, or null when the text has none.</summary>
    public static string? Nonce(string message)
    {
        foreach (var line in message.Split('\n'))
            if (line.StartsWith("Nonce: ", StringComparison.Ordinal)) return line["Nonce: ".Length..];
        return null;
    }

    /// <summary>EIP-4361 nonces: at least 8 alphanumeric characters; ours carry 142 bits.</summary>
    public static string NewNonce() =>
        new(System.Security.Cryptography.RandomNumberGenerator.GetItems<char>("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 24));

    /// <summary>RFC 3339 in UTC with milliseconds, as JavaScript's toISOString writes it.</summary>
    public static string Timestamp(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
