using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Aetherium.ServiceDefaults.Http;

/// <summary>
/// Reads a JSON request body itself instead of letting minimal APIs bind it, so that a wrong type
/// (<c>"count": "two"</c>, also <c>"count": "2"</c>) or an unknown field becomes a 400 naming that field,
/// like every other field error, and <c>null</c>, a non-object or bytes that are not UTF-8 are refused
/// rather than read as "no body". Put <c>[JsonUnmappedMemberHandling(Disallow)]</c> on the request record.
/// </summary>
public static class JsonBody
{
    public readonly record struct Read<T>(T? Value, ProblemHttpResult? Problem);

    private static JsonSerializerOptions? _strict;

    /// <summary>A body that must be a JSON object.</summary>
    public static Task<Read<T>> ReadAsync<T>(HttpRequest request, CancellationToken ct) where T : class =>
        ReadAsync<T>(request, whenEmpty: null, ct);

    /// <summary>
    /// A body that may be left out (no bytes at all, with or without a JSON content type): then
    /// <paramref name="whenEmpty"/>, the request's defaults. Anything sent must still be a JSON object.
    /// </summary>
    public static async Task<Read<T>> ReadAsync<T>(HttpRequest request, T? whenEmpty, CancellationToken ct) where T : class
    {
        if (whenEmpty is not null && request.ContentLength == 0) return new(whenEmpty, null);
        if (!request.HasJsonContentType())
        {
            if (whenEmpty is not null && request.ContentLength is null && request.ContentType is null && await IsEmptyAsync(request, ct))
                return new(whenEmpty, null);
            return new(null, TypedResults.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType,
                title: "Unsupported media type", detail: "Send the body as application/json."));
        }

        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, ct);
        var bytes = buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
        if (bytes.Length == 0 && whenEmpty is not null) return new(whenEmpty, null);
        // JSON is UTF-8 (RFC 8259 §8.1); a parser would only notice bad bytes inside a string it decodes.
        if (!System.Text.Unicode.Utf8.IsValid(bytes.Span)) return new(null, Invalid("body", "is not valid UTF-8"));

        // Parsed first, so that malformed JSON is told apart from a well-formed body with a bad field.
        JsonDocument document;
        try { document = JsonDocument.Parse(bytes); }
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

    /// <summary>A chunked body without a content type: empty when its first read ends it.</summary>
    private static async Task<bool> IsEmptyAsync(HttpRequest request, CancellationToken ct)
    {
        var one = new byte[1];
        return await request.Body.ReadAsync(one, ct) == 0;
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
