using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Aetherium.Cli.Output;

/// <summary>Reads a value out of the API's JSON by a dotted path, as text for a table cell.</summary>
public static class Fields
{
    public const string Missing = "-";

    public static JsonNode? At(JsonNode? node, string path)
    {
        foreach (var part in path.Split('.'))
            node = node is JsonObject o ? o[part] : null;
        return node;
    }

    public static string Text(JsonNode? node, string path) => Text(At(node, path));

    public static string Text(JsonNode? value) => value switch
    {
        null => Missing,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>() is { Length: > 0 } s ? s : Missing,
        JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValue<bool>() ? "yes" : "no",
        JsonValue v => v.ToJsonString(),
        JsonArray a => a.Count == 0 ? Missing : string.Join(",", a.Select(Text)),
        JsonObject o => o.Count == 0 ? Missing : string.Join(",", o.Select(p => $"{p.Key}={Text(p.Value)}")),
        _ => value.ToJsonString(),
    };

    /// <summary>An ISO-8601 timestamp as "yyyy-MM-dd HH:mm:ss" UTC.</summary>
    public static string Time(JsonNode? node, string path) =>
        At(node, path) is JsonValue v && v.TryGetValue<string>(out var s)
            && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)
            ? t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + "Z"
            : Missing;

    /// <summary>"used/total", as cluster views show capacity.</summary>
    public static string Of(JsonNode? node, string used, string total) => $"{Text(node, used)}/{Text(node, total)}";

    public static IReadOnlyList<JsonNode> Items(JsonNode? node, string path) =>
        At(node, path) is JsonArray a ? a.Where(x => x is not null).Select(x => x!).ToList() : [];
}
