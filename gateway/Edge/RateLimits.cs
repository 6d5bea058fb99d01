using System.Globalization;
using System.Security.Claims;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;

namespace Aetherium.Gateway.Edge;

/// <summary>
/// Per-client limits (the token's subject when signed in, else the address): strict on auth routes
/// (password guessing), which count by address only, since a guesser may carry any valid token of its
/// own; generous on the API and on agent traffic; the live stream's connection attempts
/// (not how long a stream stays open) have a limit of their own. 429 ProblemDetails with Retry-After.
/// Configuration Gateway:RateLimits:{Auth,Api,Agent,Live}:{PermitLimit,WindowSeconds}.
/// </summary>
public static class RateLimits
{
    public const string Auth = "auth", Api = "api", Agent = "agent", Live = "live";

    public static IServiceCollection AddEdgeRateLimits(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            foreach (var (policy, permits, window) in new[] { (Auth, 20, 60), (Api, 600, 10), (Agent, 3000, 10), (Live, 60, 60) })
            {
                var limit = configuration.GetValue($"Gateway:RateLimits:{policy}:PermitLimit", permits);
                var seconds = configuration.GetValue($"Gateway:RateLimits:{policy}:WindowSeconds", window);
                o.AddPolicy(policy, ctx => RateLimitPartition.GetFixedWindowLimiter($"{policy}:{ClientKey(policy, ctx)}", _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = limit, Window = TimeSpan.FromSeconds(seconds), QueueLimit = 0,
                }));
            }
            o.OnRejected = async (context, ct) =>
            {
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)) : 1;
                context.HttpContext.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
                await Problems.WriteAsync(context.HttpContext, StatusCodes.Status429TooManyRequests, "Too many requests",
                    $"Rate limit reached; retry in {retryAfter} s.", ct);
            };
        });
        return services;
    }

    private static string ClientKey(string policy, HttpContext context) =>
        policy != Auth && context.User.FindFirstValue("sub") is { Length: > 0 } subject ? "sub:" + subject
        : "ip:" + (context.Connection.RemoteIpAddress?.ToString() ?? "unknown");
}
