using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Aetherium.ServiceDefaults.Http;

/// <summary>
/// One id per user request, across every service it touches: taken from <c>X-Correlation-Id</c> (the
/// gateway sets it when the client did not), echoed on the response, put on the request's span
/// (<c>correlation.id</c>) and in the logging scope, and carried on as W3C baggage so outgoing calls
/// keep it. Ids that are too long or odd are replaced, not trusted.
/// </summary>
public sealed class CorrelationIdMiddleware(RequestDelegate next, ILogger<CorrelationIdMiddleware> logger)
{
    public const string Header = "X-Correlation-Id";
    public const string TagName = "correlation.id";

    public async Task InvokeAsync(HttpContext context)
    {
        var id = context.Request.Headers[Header].ToString();
        if (!IsValid(id))
            id = Activity.Current?.GetBaggageItem(TagName) is { } carried && IsValid(carried) ? carried : Guid.NewGuid().ToString("N");
        context.Request.Headers[Header] = id;
        // Set as the response starts: a proxied response's own copy of the header must not be doubled.
        context.Response.OnStarting(() =>
        {
            context.Response.Headers[Header] = id;
            return Task.CompletedTask;
        });
        Activity.Current?.SetTag(TagName, id);
        Activity.Current?.SetBaggage(TagName, id);
        using (logger.BeginScope(new Dictionary<string, object> { ["CorrelationId"] = id }))
            await next(context);
    }

    public static bool IsValid(string? id) =>
        id is { Length: > 0 and <= 128 } && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':');
}
