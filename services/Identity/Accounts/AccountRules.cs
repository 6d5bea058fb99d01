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

    /// <summary>A new account's name: the shape every username has, and not a wallet's.</summary>
    public static void CheckUsername(Validator v, string? username)
    {
        if (CheckUsernameShape(v, username) && WalletName().IsMatch(username!)) v.Add("username", "is reserved for wallet accounts");
    }

    /// <summary>
    /// A name given to sign in, already normalised (<see cref="NormalizeUsername"/>): a name no account can
    /// have is refused here, before it reaches the database (a NUL would make PostgreSQL fail).
    /// </summary>
    public static void CheckSignInUsername(Validator v, string? username) => CheckUsernameShape(v, username);

    /// <summary>Sign-in ignores surrounding blanks and case; stored names are already lower case.</summary>
    public static string? NormalizeUsername(string? username) => username?.Trim().ToLowerInvariant();

    private static bool CheckUsernameShape(Validator v, string? username)
    {
        if (string.IsNullOrEmpty(username)) v.Add("username", "is required");
        else if (!UsernamePattern().IsMatch(username)) v.Add("username", "must be 3-64 characters of a-z, 0-9, '.', '_' or '-'");
        else return true;
        return false;
    }

    /// <summary>A new password: long enough, and not so long that hashing it is a weapon.</summary>
    public static void CheckPassword(Validator v, string? password)
    {
        if (CheckPasswordBounds(v, password) && password!.Length < MinPassword) v.Add("password", $"must be at least {MinPassword} characters");
    }

    /// <summary>A password given to sign in: the upper bound only (older or configured passwords may be shorter).</summary>
    public static void CheckSignInPassword(Validator v, string? password) => CheckPasswordBounds(v, password);

    private static bool CheckPasswordBounds(Validator v, string? password)
    {
        if (string.IsNullOrEmpty(password)) v.Add("password", "is required");
        else if (password.Length > MaxPassword) v.Add("password", $"must be at most {MaxPassword} characters");
        else return true;
        return false;
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
