using System.Net.Mail;
using System.Text.RegularExpressions;
using Aetherium.ServiceDefaults.Http;

namespace Aetherium.Identity.Accounts;

/// <summary>What a username, password, e-mail and organisation name must look like.</summary>
public static partial class AccountRules
{
    public const int MinPassword = 8;
    /// <summary>PBKDF2 cost grows with the input: an upper bound keeps a login from being a CPU weapon.</summary>
    public const int MaxPassword = 256;

    [GeneratedRegex("^[a-z0-9._-]{3,64}$")]
    private static partial Regex UsernamePattern();

    /// <summary>Wallet accounts are named by their address; nobody else may take such a name.</summary>
    [GeneratedRegex("^0x[0-9a-f]{40}$")]
    private static partial Regex WalletName();

    public static void CheckUsername(Validator v, string? username)
    {
        if (string.IsNullOrEmpty(username)) v.Add("username", "is required");
        else if (!UsernamePattern().IsMatch(username)) v.Add("username", "must be 3-64 characters of a-z, 0-9, '.', '_' or '-'");
        else if (WalletName().IsMatch(username)) v.Add("username", "is reserved for wallet accounts");
    }

    public static void CheckPassword(Validator v, string? password)
    {
        if (string.IsNullOrEmpty(password)) v.Add("password", "is required");
        else if (password.Length < MinPassword) v.Add("password", $"must be at least {MinPassword} characters");
        else if (password.Length > MaxPassword) v.Add("password", $"must be at most {MaxPassword} characters");
    }

    public static void CheckEmail(Validator v, string? email)
    {
        if (email is null) return;
        if (email.Length > 254 || !MailAddress.TryCreate(email, out var parsed) || parsed.Address != email)
            v.Add("email", "is not a valid e-mail address");
    }

    public static void CheckOrganizationName(Validator v, string? name)
    {
        if (name is null) return;
        if (name.Trim().Length == 0) v.Add("organization", "must not be blank");
        else if (name.Trim().Length > 100) v.Add("organization", "must be at most 100 characters");
    }
}
