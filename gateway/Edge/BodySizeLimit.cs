namespace Aetherium.Gateway.Edge;

/// <summary>
/// Refuses a body larger than Gateway:MaxRequestBodyBytes (1 MiB) before it reaches a service: 413
/// ProblemDetails on the declared length, and Kestrel's own limit for bodies that grow while streaming.
/// </summary>
public static class BodySizeLimit
{
    public const long Default = 1024 * 1024;

    public static long Limit(IConfiguration configuration) => configuration.GetValue("Gateway:MaxRequestBodyBytes", Default);

    public static Func<HttpContext, Func<Task>, Task> Middleware(long limit) => async (context, next) =>
    {
        if (context.Request.ContentLength > limit)
        {
            await Problems.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, "Request body too large",
                $"The body is {context.Request.ContentLength} bytes; the limit is {limit}.");
            return;
        }
        await next();
    };
}
