using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Aetherium.ServiceDefaults.Http;

/// <summary>
/// The last safety net under the edge's text and number checks: when PostgreSQL refuses a value a request
/// carried — an invalid byte sequence (22021, e.g. a NUL), an untranslatable character (22P05, e.g. \u0000 in
/// jsonb), a string too long (22001) or a number out of range (22003) — the request is answered 400
/// ProblemDetails instead of 500, and a warning names the route so the missing check can be added there.
/// </summary>
public sealed class InvalidDataExceptionHandler(IProblemDetailsService problems, ILogger<InvalidDataExceptionHandler> logger) : IExceptionHandler
{
    private static readonly Dictionary<string, string> Refusals = new()
    {
        [PostgresErrorCodes.CharacterNotInRepertoire] = "A text value holds a character that cannot be stored (such as NUL).",
        [PostgresErrorCodes.UntranslatableCharacter] = "A text value holds a character that cannot be stored (such as \\u0000).",
        [PostgresErrorCodes.StringDataRightTruncation] = "A text value is longer than allowed.",
        [PostgresErrorCodes.NumericValueOutOfRange] = "A number is out of range.",
    };

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (Find(exception) is not { } postgres || !Refusals.TryGetValue(postgres.SqlState, out var detail)) return false;
        // The exception handler has cleared the endpoint by now; its feature kept the one that failed.
        var failed = httpContext.Features.Get<IExceptionHandlerFeature>();
        var route = (failed?.Endpoint as RouteEndpoint)?.RoutePattern.RawText ?? failed?.Path ?? httpContext.Request.Path.Value;
        logger.LogWarning("{Method} {Route}: the database refused a value of the request ({SqlState}: {Reason}); answered 400. The input needs a check at the edge.",
            httpContext.Request.Method, route, postgres.SqlState, postgres.MessageText);
        httpContext.Response.StatusCode = StatusCodes.Status400BadRequest;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            ProblemDetails = new ProblemDetails { Status = StatusCodes.Status400BadRequest, Title = "Invalid value", Detail = detail },
        });
    }

    /// <summary>EF Core wraps the driver's exception (DbUpdateException), so the chain is searched.</summary>
    private static PostgresException? Find(Exception? exception)
    {
        for (; exception is not null; exception = exception.InnerException)
            if (exception is PostgresException postgres) return postgres;
        return null;
    }
}
