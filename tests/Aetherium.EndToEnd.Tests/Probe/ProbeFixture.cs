using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Aetherium.AppHost;
using Aetherium.Hosting;
using Aetherium.Hosting.Orchestration;
using Aetherium.Testing.System;
using Xunit;

namespace Aetherium.EndToEnd.Tests.Probe;

/// <summary>
/// The whole system, started once for the probe's classes (the authorization matrix, the hostile-input corpus),
/// with the gateway's rate limits out of the way: they send thousands of requests from one address.
/// </summary>
public sealed class ProbeFixture : SystemFixture
{
    public const string Collection = "probe";

    protected override void AddConfiguration(IDictionary<string, string?> configuration) => configuration["Parameters:fleet-size"] = "0";

    protected override void Configure(DistributedApplicationBuilder builder)
    {
        foreach (var policy in new[] { "auth", "api", "agent", "live" })
            builder.SetEnvironment(AetheriumModel.Gateway, $"Gateway__RateLimits__{policy}__PermitLimit", "1000000");
    }

    /// <summary>A real service token, as the lease service gets one: client credentials at identity (not routed by the gateway).</summary>
    public async Task<string> ServiceTokenAsync()
    {
        var secret = EnvironmentResolver.Resolve(App.EnvironmentOf(AetheriumModel.Lease))["ServiceClient__ClientSecret"]!;
        using var identity = App.CreateHttpClient(AetheriumModel.Identity);
        using var response = await identity.PostAsync("/connect/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = AetheriumModel.Lease, ["client_secret"] = secret,
        }));
        return (await Api.ReadAsync(response, 200))["access_token"]!.GetValue<string>();
    }
}

[CollectionDefinition(ProbeFixture.Collection)]
public sealed class ProbeCollection : ICollectionFixture<ProbeFixture>;
