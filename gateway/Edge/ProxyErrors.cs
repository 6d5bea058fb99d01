using Yarp.ReverseProxy.Forwarder;

namespace Aetherium.Gateway.Edge;

/// <summary>
/// Turns YARP's bare 502/503/504 into ProblemDetails: a service that is down or unreachable is a 503 with
/// Retry-After (the AppHost or Kubernetes restarts it), a service that took too long a 504.
/// </summary>
public static class ProxyErrors
{
    /// <summary>Kestrel's limit tripped while the body streamed to the service (no Content-Length).</summary>
    private static bool TooLarge(Exception? ex)
    {
        for (; ex is not null; ex = ex.InnerException)
            if (ex is BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge }) return true;
        return false;
    }

    public static async Task HandleAsync(HttpContext context, Func<Task> next)
    {
        await next();
        var error = context.GetForwarderErrorFeature();
        if (error is null || context.Response.HasStarted) return;
        var service = context.GetReverseProxyFeature().Route.Config.ClusterId;
        switch (error.Error)
        {
            case ForwarderError.RequestTimedOut:
                await Problems.WriteAsync(context, StatusCodes.Status504GatewayTimeout, "Service timed out", $"The {service} service did not answer in time.");
                break;
            case ForwarderError.RequestCanceled or ForwarderError.RequestBodyCanceled:
                break; // the client went away
            case ForwarderError.RequestBodyClient when TooLarge(error.Exception):
                await Problems.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, "Request body too large",
                    $"The body is larger than the limit of {BodySizeLimit.Limit(context.RequestServices.GetRequiredService<IConfiguration>())} bytes.");
                break;
            case ForwarderError.RequestBodyClient:
                await Problems.WriteAsync(context, StatusCodes.Status400BadRequest, "Malformed request body", "The request body could not be read.");
                break;
            default:
                context.Response.Headers.RetryAfter = "5";
                await Problems.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "Service unavailable",
                    $"The {service} service is not reachable right now; retry shortly.");
                break;
        }
    }
}
