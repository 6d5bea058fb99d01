namespace Aetherium.Cli.Auth;

/// <summary>What <c>aetherium login</c> keeps: the gateway it signed in to and the session's tokens.</summary>
public sealed record Credentials(string Gateway, string Username, string AccessToken, string RefreshToken, DateTimeOffset ExpiresAt)
{
    /// <summary>Refreshed a little before the end, so a request never leaves with a token about to expire.</summary>
    public bool AccessTokenExpired(DateTimeOffset now) => ExpiresAt <= now + TimeSpan.FromSeconds(30);
}
