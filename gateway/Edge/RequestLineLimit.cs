using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Aetherium.Gateway.Edge;

/// <summary>
/// Kestrel refuses a request line or header block over its limits before any middleware runs, with an empty
/// body (414, 431). So Kestrel's limits are raised fourfold and the gateway applies the usual ones itself:
/// a request target over 8 KiB is a 414 ProblemDetails, headers over 32 KiB a 431. Beyond Kestrel's raised
/// limits (32 KiB, 128 KiB) Kestrel still answers alone, as it does for requests it cannot parse at all.
/// </summary>
public static class RequestLineLimit
{
    public const int MaxTarget = 8 * 1024, MaxHeaders = 32 * 1024;

    public static void Configure(KestrelServerLimits limits)
    {
        limits.MaxRequestLineSize = 4 * MaxTarget;
        limits.MaxRequestHeadersTotalSize = 4 * MaxHeaders;
    }

    public static async Task Middleware(HttpContext context, Func<Task> next)
    {
        var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget.Length ?? 0;
        if (target > MaxTarget)
        {
            await Problems.WriteAsync(context, StatusCodes.Status414UriTooLong, "Request target too long",
                $"The path and query are {target} characters; the limit is {MaxTarget}.");
            return;
        }
        var headers = context.Request.Headers.Sum(h => h.Key.Length + h.Value.Sum(v => v?.Length ?? 0));
        if (headers > MaxHeaders)
        {
            await Problems.WriteAsync(context, StatusCodes.Status431RequestHeaderFieldsTooLarge, "Request headers too large",
                $"The headers are {headers} characters; the limit is {MaxHeaders}.");
            return;
        }
        await next();
    }
}
