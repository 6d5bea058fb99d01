namespace Aetherium.Gateway.Routing;

/// <summary>One public path prefix of the API (DESIGN §5) and the service that owns it.</summary>
/// <param name="Public">Open at the edge: no token needed to reach the service (which may still ask for one).</param>
/// <param name="RateLimit">The rate-limit policy of the route (<see cref="Edge.RateLimits"/>).</param>
public sealed record ApiRoute(string Id, string Service, string Path, bool Public, string RateLimit);

public static class ApiRoutes
{
    public const string Identity = "identity", Inventory = "inventory", Scheduler = "scheduler", Lease = "lease";
    public static readonly string[] Services = [Identity, Inventory, Scheduler, Lease];

    /// <summary>
    /// Paths are passed through unchanged: services serve the same paths. /internal/* and /connect/token
    /// are deliberately absent: they are for services only. Agents authenticate to inventory with
    /// their worker token on the agent routes, which answers with the protocol's own error codes
    /// (DESIGN §6), so those stay open at the edge.
    /// </summary>
    public static readonly ApiRoute[] All =
    [
        new("auth", Identity, "/api/v1/auth/{**rest}", Public: true, RateLimit: Edge.RateLimits.Auth),
        new("users", Identity, "/api/v1/users/{**rest}", false, Edge.RateLimits.Api),
        new("organizations", Identity, "/api/v1/organizations/{**rest}", false, Edge.RateLimits.Api),
        new("worker-tokens", Identity, "/api/v1/worker-tokens/{**rest}", false, Edge.RateLimits.Api),
        new("well-known", Identity, "/.well-known/{**rest}", true, Edge.RateLimits.Api),
        new("workers", Inventory, "/api/v1/workers/{**rest}", false, Edge.RateLimits.Api),
        new("nodes", Inventory, "/api/v1/nodes/{**rest}", false, Edge.RateLimits.Api),
        new("cluster", Inventory, "/api/v1/cluster/{**rest}", false, Edge.RateLimits.Api),
        new("system", Inventory, "/api/v1/system/{**rest}", false, Edge.RateLimits.Api),
        new("agent", Inventory, "/api/v1/agent/{**rest}", true, Edge.RateLimits.Agent),
        new("vms", Scheduler, "/api/v1/vms/{**rest}", false, Edge.RateLimits.Api),
        new("images", Scheduler, "/api/v1/images/{**rest}", false, Edge.RateLimits.Api),
        new("scheduler", Scheduler, "/api/v1/scheduler/{**rest}", false, Edge.RateLimits.Api),
        new("leases", Lease, "/api/v1/leases/{**rest}", false, Edge.RateLimits.Api),
        new("pricing", Lease, "/api/v1/pricing/{**rest}", false, Edge.RateLimits.Api),
        new("usage", Lease, "/api/v1/usage/{**rest}", false, Edge.RateLimits.Api),
    ];

    /// <summary>The route that serves a path (a service's path template), or null when the gateway does not route it.</summary>
    public static ApiRoute? Serving(string path) => All.FirstOrDefault(r =>
    {
        var prefix = r.Path[..r.Path.IndexOf("/{**", StringComparison.Ordinal)];
        return path == prefix || path.StartsWith(prefix + "/", StringComparison.Ordinal);
    });
}
