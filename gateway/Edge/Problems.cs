using Microsoft.AspNetCore.Mvc;

namespace Aetherium.Gateway.Edge;

/// <summary>The gateway's own errors as RFC 9457 ProblemDetails, with the request's trace id.</summary>
public static class Problems
{
    public static async Task WriteAsync(HttpContext context, int status, string title, string detail, CancellationToken ct = default)
    {
        if (context.Response.HasStarted) return;
        context.Response.StatusCode = status;
        var problems = context.RequestServices.GetRequiredService<IProblemDetailsService>();
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = new ProblemDetails { Status = status, Title = title, Detail = detail },
        });
    }
}
