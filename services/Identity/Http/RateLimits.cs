using System.Globalization;
using System.Threading.RateLimiting;
using Aetherium.Identity.Sessions;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace Aetherium.Identity.Http;

/// <summary>
/// Sign-in and token endpoints are limited per client IP (fixed window, configuration
/// <c>RateLimits:Auth:PermitLimit</c> / <c>RateLimits:Auth:Window</c>); a refusal is a 429 ProblemDetails
/// with Retry-After. Password sign-in is also limited per account (<see cref="AccountThrottle"/>,
/// <c>RateLimits:Account:*</c>). Behind the gateway the client IP comes from X-Forwarded-For, trusted only from
/// loopback and the networks in <c>ForwardedHeaders:KnownNetworks</c>.
/// </summary>
public static class RateLimits
{
    public const string AuthPolicy = "auth";

    public sealed class AuthLimit
    {
        public int PermitLimit { get; set; } = 60;
        public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);
    }

    public static IHostApplicationBuilder AddIdentityRateLimits(this IHostApplicationBuilder builder)
    {
        // Read when first used, not here: configuration added by a test host arrives after this runs.
        builder.Services.AddOptions<AuthLimit>().BindConfiguration("RateLimits:Auth");
        builder.Services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.AddPolicy(AuthPolicy, http => RateLimitPartition.GetFixedWindowLimiter(
                http.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                _ =>
                {
                    var limit = http.RequestServices.GetRequiredService<IOptions<AuthLimit>>().Value;
                    return new FixedWindowRateLimiterOptions { PermitLimit = limit.PermitLimit, Window = limit.Window, QueueLimit = 0 };
                }));
            o.OnRejected = async (ctx, ct) =>
            {
                var window = ctx.HttpContext.RequestServices.GetRequiredService<IOptions<AuthLimit>>().Value.Window;
                var retryAfter = ctx.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : window;
                await TooManyRequests(ctx.HttpContext, retryAfter, "Too many sign-in or token requests from this address").ExecuteAsync(ctx.HttpContext);
            };
        });

        builder.Services.AddOptions<ForwardedHeadersOptions>().Configure<IConfiguration>((o, config) =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost;
            foreach (var network in config.GetSection("ForwardedHeaders:KnownNetworks").Get<string[]>() ?? [])
                o.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
        });
        builder.Services.AddOptions<AccountThrottle.Limits>().BindConfiguration("RateLimits:Account");
        builder.Services.AddScoped<AccountThrottle>();
        return builder;
    }

    /// <summary>A 429 ProblemDetails whose Retry-After (whole seconds, at least 1) is <paramref name="retryAfter"/>.</summary>
    public static ProblemHttpResult TooManyRequests(HttpContext http, TimeSpan retryAfter, string reason)
    {
        var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
        http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        return TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many requests",
            detail: $"{reason}; retry after {seconds} s.");
    }
}
