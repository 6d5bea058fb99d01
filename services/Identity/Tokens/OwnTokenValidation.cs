using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;

namespace Aetherium.Identity.Tokens;

/// <summary>
/// ServiceDefaults points JwtBearer at identity's discovery document; identity itself reads its key
/// store instead (no HTTP to itself, no start-up ordering problem) and accepts only ES256.
/// </summary>
public sealed class OwnTokenValidation(KeyStoreConfigurationManager configuration) : IPostConfigureOptions<JwtBearerOptions>
{
    public void PostConfigure(string? name, JwtBearerOptions options)
    {
        if (name != JwtBearerDefaults.AuthenticationScheme) return;
        options.MetadataAddress = null!;
        options.Authority = null;
        options.Configuration = null;
        options.ConfigurationManager = configuration;
        options.TokenValidationParameters.ValidAlgorithms = [SigningKeyStore.Algorithm];
    }
}
