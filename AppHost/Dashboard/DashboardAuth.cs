using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace Aetherium.AppHost.Dashboard;

/// <summary>
/// Aspire's browser-token login: <c>/login?t=&lt;token&gt;</c> sets a session cookie; every other page and API
/// answers 401 without it. Token and cookie are compared in constant time; the cookie is HttpOnly and SameSite=Strict,
/// so another site can neither read it nor make the browser send it (the start/stop buttons are POSTs).
/// </summary>
internal sealed class DashboardAuth
{
    public const string CookieName = "aetherium-dashboard";
    public const string LoginPath = "/login";
    private readonly byte[] _tokenHash;
    private readonly string _session;
    private readonly byte[] _sessionHash;

    public DashboardAuth(string browserToken)
    {
        _tokenHash = Hash(browserToken);
        // One session value per run, derived from a fresh key: it proves a login happened and reveals nothing of the token.
        _session = Convert.ToHexStringLower(HMACSHA256.HashData(RandomNumberGenerator.GetBytes(32), Encoding.UTF8.GetBytes(browserToken)));
        _sessionHash = Hash(_session);
    }

    public IResult Login(HttpContext context, string? t)
    {
        if (t is null) return LoginPage(null);
        if (!CryptographicOperations.FixedTimeEquals(Hash(t), _tokenHash)) return LoginPage("That token is not this AppHost's.");
        context.Response.Cookies.Append(CookieName, _session, new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Path = "/",
            Secure = context.Request.IsHttps,
        });
        return TypedResults.Redirect("/");
    }

    public async Task RequireSession(HttpContext context, RequestDelegate next)
    {
        if (context.Request.Path.Equals(LoginPath, StringComparison.OrdinalIgnoreCase) && HttpMethods.IsGet(context.Request.Method))
        {
            await next(context); // the only way in
            return;
        }
        if (context.Request.Cookies.TryGetValue(CookieName, out var cookie) && CryptographicOperations.FixedTimeEquals(Hash(cookie), _sessionHash))
        {
            await next(context);
            return;
        }
        if (context.Request.Path.StartsWithSegments("/api"))
            await TypedResults.Problem("Sign in first: open the login link the AppHost printed at start-up.", statusCode: StatusCodes.Status401Unauthorized).ExecuteAsync(context);
        else
            await LoginPage(null).ExecuteAsync(context);
    }

    public static Task SecurityHeaders(HttpContext context, RequestDelegate next)
    {
        var h = context.Response.Headers;
        h.XContentTypeOptions = "nosniff";
        h.XFrameOptions = "DENY";
        h["Referrer-Policy"] = "no-referrer";
        h.ContentSecurityPolicy = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'";
        h.CacheControl = "no-store";
        return next(context);
    }

    private static byte[] Hash(string s) => SHA256.HashData(Encoding.UTF8.GetBytes(s));

    private static IResult LoginPage(string? error) => TypedResults.Content($$"""
        <!doctype html>
        <html lang="en">
        <head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Aetherium dashboard: sign in</title>
        <style>body{font:16px system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#1b1f24}input{font:inherit;padding:.4rem;width:100%;box-sizing:border-box}button{font:inherit;margin-top:.8rem;padding:.4rem 1rem}.error{color:#b00020}</style></head>
        <body><main>
        <h1>Aetherium dashboard</h1>
        <p>Open the login link the AppHost printed when it started, or paste its browser token here.</p>
        {{(error is null ? "" : $"<p class=\"error\" role=\"alert\">{WebUtility.HtmlEncode(error)}</p>")}}
        <form method="get" action="/login">
        <label for="t">Browser token</label>
        <input id="t" name="t" type="password" autocomplete="off" required autofocus>
        <button type="submit">Sign in</button>
        </form>
        </main></body></html>
        """, "text/html; charset=utf-8", Encoding.UTF8, StatusCodes.Status401Unauthorized);
}
