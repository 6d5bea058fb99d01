using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace Aetherium.Lease.Http;

/// <summary>
/// Reads a JSON request body itself instead of letting minimal APIs bind it, so that a wrong type
/// (<c>"count": "two"</c>, also <c>"count": "2"</c>) or an unknown field becomes a 400 naming that field,
/// like every other field error.
/// </summary>
public static class JsonBody
{
    public readonly record struct Read<T>(T? Value, ProblemHttpResult? Problem);

    private static JsonSerializerOptions? _strict;

    public static async Task<Read<T>> ReadAsync<T>(HttpRequest request, CancellationToken ct) where T : class
    {
        if (!request.HasJsonContentType())
            return new(null, TypedResults.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType,
                title: "Unsupported media type", detail: "Send the body as application/json."));

        // Parsed first, so that malformed JSON is told apart from a well-formed body with a bad field.
        JsonDocument document;
        try { document = await JsonDocument.ParseAsync(request.Body, cancellationToken: ct); }
        catch (JsonException) { return new(null, Invalid("body", "must be a JSON object (the body is empty or not valid JSON)")); }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object) return new(null, Invalid("body", "must be a JSON object"));
            try
            {
                return new(document.RootElement.Deserialize<T>(Strict(request))!, null);
            }
            catch (JsonException ex)
            {
                var field = ex.Path is null or "$" ? "body" : ex.Path.StartsWith("$.") ? ex.Path[2..] : ex.Path;
                var message = ex.Message.Contains("could not be mapped") ? "is not a known field" : "has the wrong type or format";
                return new(null, Invalid(field, message));
            }
        }
    }

    /// <summary>The service's JSON options, but numbers must be numbers (the web default also reads them from strings).</summary>
    private static JsonSerializerOptions Strict(HttpRequest request) =>
        _strict ??= new JsonSerializerOptions(request.HttpContext.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions)
        {
            NumberHandling = JsonNumberHandling.Strict,
        };

    private static ProblemHttpResult Invalid(string field, string message) =>
        TypedResults.Problem(new HttpValidationProblemDetails(new Dictionary<string, string[]> { [field] = [message] })
        {
            Status = StatusCodes.Status400BadRequest,
            Title = "One or more fields are invalid.",
        });
}
