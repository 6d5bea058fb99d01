using Aetherium.Contracts.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Aetherium.ServiceDefaults.Http;

/// <summary>
/// Query-string names and values and route values pass <see cref="TextRules"/> before any endpoint
/// sees them (a NUL in ?zone= once reached PostgreSQL as a 500): a 400 ValidationProblem names the
/// parameter, never quoting the value. JSON bodies are checked as they are read (CheckedStringConverter).
/// </summary>
public sealed class RequestTextValidation(RequestDelegate next, IProblemDetailsService problems)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (Fault(context) is not { } fault)
        {
            await next(context);
            return;
        }
        context.Response.StatusCode = StatusCodes.Status400BadRequest;
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = new HttpValidationProblemDetails(new Dictionary<string, string[]> { [fault.Field] = [TextRules.Describe(fault.Fault)] })
            {
                Title = "One or more fields are invalid.",
                Status = StatusCodes.Status400BadRequest,
            },
        });
    }

    private static (string Field, TextFault Fault)? Fault(HttpContext context)
    {
        foreach (var (name, values) in context.Request.Query)
        {
            var nameFault = TextRules.Check(name, 256);
            if (nameFault != TextFault.None) return ("query", nameFault);
            foreach (var value in values)
                if (value is not null && TextRules.Check(value) is var fault && fault != TextFault.None) return (name, fault);
        }
        foreach (var (name, value) in context.Request.RouteValues)
            if (value is string text && TextRules.Check(text) is var fault && fault != TextFault.None) return (name, fault);
        return null;
    }
}
