using Microsoft.Net.Http.Headers;

namespace Aetherium.Gateway.Portal;

/// <summary>
/// The web portal (../portal, built into wwwroot/ by the gateway's build): its files as they are, and index.html
/// for every other page path, since the portal routes in the browser (/workers/{id} is a page, not a file).
/// API paths and non-GET requests never get the page: an unknown route there stays a ProblemDetails 404.
/// </summary>
public static class PortalFiles
{
    /// <summary>Paths the gateway or the services answer; the portal's pages live everywhere else.</summary>
    private static readonly string[] ReservedPrefixes = ["/api", "/internal", "/connect", "/.well-known", "/openapi", "/docs", "/health", "/alive"];

    /// <summary>Everything from this origin and nothing else: no inline script, no third-party content.</summary>
    private const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

    public static WebApplication UsePortal(this WebApplication app)
    {
        app.UseStaticFiles(new StaticFileOptions
        {
            OnPrepareResponse = file =>
            {
                var response = file.Context.Response;
                // Vite names built assets by a hash of their content: a changed file has a new name, so these never go stale.
                if (file.Context.Request.Path.StartsWithSegments("/assets"))
                    response.Headers.CacheControl = "public, max-age=31536000, immutable";
                else
                    SetPageHeaders(response);
            },
        });
        return app;
    }

    /// <summary>Answers a page path with index.html; false when the request is not for a page or no portal is built.</summary>
    public static async Task<bool> TryServePageAsync(HttpContext context)
    {
        var request = context.Request;
        if (!(HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method))) return false;
        if (ReservedPrefixes.Any(p => request.Path.StartsWithSegments(p, StringComparison.OrdinalIgnoreCase))) return false;
        var index = context.RequestServices.GetRequiredService<IWebHostEnvironment>().WebRootFileProvider.GetFileInfo("index.html");
        if (!index.Exists) return false;

        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/html; charset=utf-8";
        response.ContentLength = index.Length;
        SetPageHeaders(response);
        if (HttpMethods.IsGet(request.Method)) await response.SendFileAsync(index, context.RequestAborted);
        return true;
    }

    private static void SetPageHeaders(HttpResponse response)
    {
        // The page names the current build's assets: always revalidated, so a new build is seen at once.
        response.Headers.CacheControl = "no-cache";
        response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers[HeaderNames.XFrameOptions] = "DENY";
        response.Headers["Referrer-Policy"] = "same-origin";
    }
}
