using Yarp.ReverseProxy.Configuration;

namespace Aetherium.Gateway.Routing;

/// <summary>
/// YARP's routes and clusters, from <see cref="ApiRoutes"/>. Each cluster's destination is the service's
/// discovery name (<c>http://inventory</c>), which the service-discovery resolver expands to every
/// replica listed in <c>services__inventory__http__N</c>. Destinations are probed on /health; when none
/// is healthy they are all tried anyway (HealthyOrPanic), so a degraded service still answers reads.
/// </summary>
public static class ProxyConfiguration
{
    /// <summary>
    /// Every route not open at the edge is the tenants' API: a user's or an admin's token, never a worker's
    /// machine token (agents use the open agent routes) nor a service's (services call each other directly).
    /// </summary>
    public const string EdgePolicy = Aetherium.ServiceDefaults.Auth.AuthenticationSetup.TenantPolicy;

    public static IReadOnlyList<RouteConfig> Routes() => ApiRoutes.All.Select(r => new RouteConfig
    {
        RouteId = r.Id,
        ClusterId = r.Service,
        Match = new RouteMatch { Path = r.Path },
        AuthorizationPolicy = r.Public ? "anonymous" : EdgePolicy,
        RateLimiterPolicy = r.RateLimit,
        CorsPolicy = Edge.Cors.PolicyName,
    }).ToList();

    public static IReadOnlyList<ClusterConfig> Clusters(IConfiguration configuration)
    {
        var interval = configuration.GetValue("Gateway:HealthCheckInterval", TimeSpan.FromSeconds(5));
        return ApiRoutes.Services.Select(service => new ClusterConfig
        {
            ClusterId = service,
            Destinations = new Dictionary<string, DestinationConfig> { [service] = new() { Address = $"http://{service}" } },
            HealthCheck = new HealthCheckConfig
            {
                AvailableDestinationsPolicy = "HealthyOrPanic",
                Active = new ActiveHealthCheckConfig { Enabled = true, Interval = interval, Timeout = TimeSpan.FromSeconds(3), Path = "/health", Policy = "ConsecutiveFailures" },
                Passive = new PassiveHealthCheckConfig { Enabled = true, ReactivationPeriod = interval },
            },
            HttpRequest = new Yarp.ReverseProxy.Forwarder.ForwarderRequestConfig { ActivityTimeout = TimeSpan.FromSeconds(100) },
        }).ToList();
    }
}
