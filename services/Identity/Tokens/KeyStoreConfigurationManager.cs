using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace Aetherium.Identity.Tokens;

/// <summary>
/// Identity validates its own tokens straight from its key store rather than by HTTP to itself:
/// JwtBearer asks this for the "discovery document", and on an unknown kid asks it to refresh.
/// </summary>
public sealed class KeyStoreConfigurationManager(SigningKeyStore keys, JwtSettings settings) : IConfigurationManager<OpenIdConnectConfiguration>
{
    private (SigningKeyStore.KeySet Keys, OpenIdConnectConfiguration Configuration)? _cached;

    public async Task<OpenIdConnectConfiguration> GetConfigurationAsync(CancellationToken cancel)
    {
        var set = await keys.GetAsync(cancel);
        var cached = _cached;
        if (cached is { } c && ReferenceEquals(c.Keys, set)) return c.Configuration;
        var configuration = new OpenIdConnectConfiguration { Issuer = settings.Issuer };
        foreach (var key in set.Published) configuration.SigningKeys.Add(key);
        _cached = (set, configuration);
        return configuration;
    }

    public void RequestRefresh() => keys.RequestRefresh();
}
