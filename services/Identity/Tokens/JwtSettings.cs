using Aetherium.ServiceDefaults.Auth;

namespace Aetherium.Identity.Tokens;

/// <summary>Configuration section "Jwt" (issuer and audience as every service reads them).</summary>
public sealed class JwtSettings
{
    public string Issuer { get; set; } = "aetherium";
    public string Audience { get; set; } = "aetherium";
    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromMinutes(15);
    public TimeSpan ServiceTokenLifetime { get; set; } = TimeSpan.FromHours(1);
    public TimeSpan RefreshTokenLifetime { get; set; } = TimeSpan.FromDays(30);
    /// <summary>Seed 004: worker tokens last one year unless asked otherwise.</summary>
    public TimeSpan WorkerTokenLifetime { get; set; } = TimeSpan.FromDays(365);
    public TimeSpan MaxWorkerTokenLifetime { get; set; } = TimeSpan.FromDays(5 * 365);
    /// <summary>How long the signing key signs before the next one takes over.</summary>
    public TimeSpan KeyRotationInterval { get; set; } = TimeSpan.FromDays(30);
    /// <summary>How often a replica re-reads the key table (another replica may have rotated).</summary>
    public TimeSpan KeyReloadInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a retired key stays in the JWKS: the longest short-lived token plus clock skew.</summary>
    public TimeSpan RetiredKeyRetention =>
        (AccessTokenLifetime > ServiceTokenLifetime ? AccessTokenLifetime : ServiceTokenLifetime) + TimeSpan.FromMinutes(5);

    public static JwtSettings From(IConfiguration config)
    {
        var settings = config.GetSection("Jwt").Get<JwtSettings>() ?? new JwtSettings();
        settings.Issuer = AuthenticationSetup.Issuer(config);
        settings.Audience = AuthenticationSetup.Audience(config);
        return settings;
    }
}
