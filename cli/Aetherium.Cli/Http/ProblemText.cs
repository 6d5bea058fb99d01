using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Aetherium.Cli.Http;

/// <summary>
/// An error answer as one line: the ProblemDetails' title, detail and field errors (named as the command's
/// options when the command says which option sets which field), with the status.
/// </summary>
public static class ProblemText
{
    public static string Format(HttpStatusCode status, string body, TimeSpan? retryAfter, Dictionary<string, string>? fieldOptions = null)
    {
        var code = (int)status;
        JsonObject? problem = null;
        try { problem = JsonNode.Parse(body) as JsonObject; }
        catch (JsonException) { }
        if (problem is null)
            return $"the gateway answered {code} {Reason(status)}{RetryText(retryAfter)}";

        var text = new StringBuilder((Text(problem["title"]) ?? Reason(status)).TrimEnd('.'));
        text.Append($" ({code})");
        var detail = Text(problem["detail"]);
        if (detail is { Length: > 0 }) text.Append(": ").Append(detail);
        if (problem["errors"] is JsonObject errors && errors.Count > 0)
        {
            var fields = errors.Select(e => $"{Field(e.Key, fieldOptions)}: {Messages(e.Value)}");
            text.Append(detail is { Length: > 0 } ? "; " : ": ").AppendJoin("; ", fields);
        }
        if (detail is not { Length: > 0 }) text.Append(RetryText(retryAfter)); // a detail says when itself
        return text.ToString();
    }

    private static string Field(string field, Dictionary<string, string>? options) =>
        options is not null && options.TryGetValue(field, out var option) ? option : field;

    private static string Messages(JsonNode? value) => value switch
    {
        JsonArray list => string.Join(", ", list.Select(Text).Where(m => m is not null)),
        _ => Text(value) ?? "invalid",
    };

    private static string? Text(JsonNode? node) =>
        node is JsonValue v && v.TryGetValue<string>(out var s) ? s : node?.ToJsonString();

    private static string RetryText(TimeSpan? retryAfter) =>
        retryAfter is { } wait ? $" (retry after {Math.Ceiling(wait.TotalSeconds)} s)" : "";

    private static string Reason(HttpStatusCode status) => status switch
    {
        HttpStatusCode.Unauthorized => "Unauthorized",
        HttpStatusCode.NotFound => "Not found",
        _ => System.Text.RegularExpressions.Regex.Replace(status.ToString(), "(?<=[a-z])(?=[A-Z])", " "),
    };
}
