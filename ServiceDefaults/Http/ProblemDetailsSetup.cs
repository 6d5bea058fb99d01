using System.Diagnostics;
using System.Text.Json;
using Aetherium.Contracts.Text;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Aetherium.ServiceDefaults.Http;

public static class ProblemDetailsSetup
{
    /// <summary>Every problem carries the trace id, so a user's report leads straight to the trace.</summary>
    public static void Customize(ProblemDetailsContext ctx)
    {
        ctx.ProblemDetails.Instance ??= ctx.HttpContext.Request.Path;
        var traceId = Activity.Current?.TraceId.ToString() ?? ctx.HttpContext.TraceIdentifier;
        ctx.ProblemDetails.Extensions["trace_id"] = traceId;
    }
}

/// <summary>
/// Malformed JSON, a wrong type, a string that breaks TextRules or a bad route value make ASP.NET Core
/// throw BadHttpRequestException: answer it with a precise 400 instead of letting it turn into a 500.
/// When the JSON reader says where (its Path), the answer is a ValidationProblem whose "errors" names
/// the field as the API spells it ("username", "spec.name", "labels").
/// </summary>
public sealed class BadRequestExceptionHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException bad) return false;
        httpContext.Response.StatusCode = bad.StatusCode;
        var problem = bad.InnerException is JsonException json && bad.StatusCode == StatusCodes.Status400BadRequest
            ? new HttpValidationProblemDetails(new Dictionary<string, string[]> { [JsonField.FromPath(json.Path)] = [JsonField.Problem(json)] })
            {
                Title = "One or more fields are invalid.",
            }
            : new ProblemDetails
            {
                Title = bad.StatusCode == StatusCodes.Status413PayloadTooLarge ? "Request body too large" : "Malformed request",
                Detail = bad.InnerException?.Message ?? bad.Message,
            };
        problem.Status = bad.StatusCode;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = problem,
        });
    }
}
