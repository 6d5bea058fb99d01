using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Aetherium.EndToEnd.Tests.Probe;

/// <summary>One hostile request: what it is, and how it differs from the operation's valid request.</summary>
/// <param name="RefusedByKestrel">Refused by Kestrel while it parses the request line, before any middleware runs: a
/// percent-encoded NUL in the path ("The path contains null characters"). Kestrel answers 400 with an empty body and
/// offers no way to render it (its DiagnosticSource event only observes it), so no ProblemDetails can be asked of it.</param>
public sealed record HostileInput(string What, string? Id, string? Query, byte[]? Body, bool Large = false, bool RefusedByKestrel = false);

/// <summary>
/// The corpus of issue 22: NUL and other control characters in every string field, path id and query value;
/// invalid UTF-8; 1e308, -1, huge integers and wrong JSON types in every field; 1,000 levels of nesting;
/// 1 MB strings; a body over the gateway's limit; a 10 KB query.
/// </summary>
public static partial class HostileInputs
{
    public const int GatewayBodyLimit = 1024 * 1024;

    private static readonly string[] Ids = ["%00", "%01", "a%00b", "%1B%5B2J", "%FF%FE", "%C0%AF", "-1", "1e308", "99999999999999999999999", new string('a', 5000), "..%2F..%2Fetc%2Fpasswd"];
    private static readonly string[] QueryValues = ["%00", "x%00y", "%07%1F%7F", "%FF%FE", "%C0%80", "-1", "1e308", "99999999999999999999999", new string('x', 4000)];

    public static IEnumerable<HostileInput> For(Operation operation, Call valid)
    {
        var body = valid.Body is null ? null : Encoding.UTF8.GetBytes(valid.Body);
        if (operation.Template.Contains('{'))
            foreach (var id in Ids)
                yield return new($"path id {Cut(id)}", id, valid.Query, body, RefusedByKestrel: id.Contains("%00"));

        var takesBody = operation.Method is "POST" or "PUT" or "PATCH";
        if (valid.Body is not null)
            foreach (var (what, mutated) in FieldMutations(valid.Body))
                yield return new($"body {what}", valid.Id, valid.Query, Encoding.UTF8.GetBytes(mutated), mutated.Length > 500_000);
        if (takesBody)
            foreach (var (what, bytes) in WholeBodies())
                yield return new($"body {what}", valid.Id, valid.Query, bytes, bytes.Length > 500_000);

        var names = operation.QueryParameters.Concat(NamesOf(valid.Query)).Append("q").Distinct();
        foreach (var name in names)
            foreach (var value in QueryValues)
                yield return new($"query {name}={Cut(value)}", valid.Id, Join(valid.Query, name, value), body);
        yield return new("a 10 KB query", valid.Id, Join(valid.Query, "q", new string('x', 10 * 1024)), body);
    }

    /// <summary>Every leaf of the valid body replaced, one at a time, by each hostile value of its kind and by wrong types.</summary>
    private static IEnumerable<(string What, string Body)> FieldMutations(string valid)
    {
        var root = JsonNode.Parse(valid);
        foreach (var (path, leaf) in Leaves(root, []))
        {
            var name = "$" + string.Concat(path.Select(s => s is int i ? $"[{i}]" : $".{s}"));
            var replacements = leaf.GetValueKind() switch
            {
                JsonValueKind.String => new (string, JsonNode?)[]
                {
                    ("NUL", "a\u0000b"), ("control characters", "\u0001\u0007\u001b[2J\u007f"), ("a lone surrogate", "\ud800"),
                    ("1 MB string", new string('x', 1_000_000)), ("a number", 12345), ("an array", new JsonArray()), ("null", null),
                },
                JsonValueKind.Number => new (string, JsonNode?)[]
                {
                    ("1e308", Raw("1e308")), ("-1e308", Raw("-1e308")), ("-1", -1), ("a huge integer", Raw("99999999999999999999999")),
                    ("a fraction", 0.5), ("a string", "12"), ("NUL string", "\u0000"), ("an object", new JsonObject()), ("null", null),
                },
                _ => new (string, JsonNode?)[] { ("a NUL string", "x\u0000"), ("1e308", Raw("1e308")) },
            };
            foreach (var (what, value) in replacements)
            {
                var copy = root!.DeepClone();
                Set(copy, path, value);
                yield return ($"{name} {what}", RawToken().Replace(copy.ToJsonString(), "$1"));
            }
        }
    }

    private static IEnumerable<(string What, byte[] Body)> WholeBodies()
    {
        yield return ("invalid UTF-8", [.. "{\"name\":\""u8, 0xFF, 0xFE, 0xC0, 0xAF, .. "\"}"u8]);
        yield return ("invalid UTF-8 outside strings", [.. "{\"name\""u8, 0xC3, 0x28, .. ":1}"u8]);
        yield return ("1,000 nested arrays", Encoding.UTF8.GetBytes(new string('[', 1000) + new string(']', 1000)));
        yield return ("1,000 nested objects", Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("{\"a\":", 1000)) + "1" + new string('}', 1000)));
        yield return ("null", "null"u8.ToArray());
        yield return ("an array", "[1,2]"u8.ToArray());
        yield return ("a string", "\"text\""u8.ToArray());
        yield return ("truncated JSON", "{\"name\":"u8.ToArray());
        yield return ("empty", []);
        yield return ("a NUL byte", [0]);
        yield return ("over the gateway's limit", Encoding.UTF8.GetBytes("{\"name\":\"" + new string('x', GatewayBodyLimit + 1024) + "\"}"));
    }

    private static IEnumerable<(List<object> Path, JsonValue Leaf)> Leaves(JsonNode? node, List<object> path)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (key, child) in o)
                    foreach (var leaf in Leaves(child, [.. path, key])) yield return leaf;
                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                    foreach (var leaf in Leaves(a[i], [.. path, i])) yield return leaf;
                break;
            case JsonValue v:
                yield return (path, v);
                break;
        }
    }

    private static void Set(JsonNode root, List<object> path, JsonNode? value)
    {
        var parent = root;
        foreach (var step in path[..^1]) parent = step is int i ? parent[i]! : parent[(string)step]!;
        if (path[^1] is int index) parent.AsArray()[index] = value;
        else parent.AsObject()[(string)path[^1]] = value;
    }

    /// <summary>A JSON number text no .NET number holds, spliced in after serialisation.</summary>
    private static JsonNode Raw(string token) => $"@@raw:{token}@@";

    [GeneratedRegex("\"@@raw:([^@]*)@@\"")]
    private static partial Regex RawToken();

    private static IEnumerable<string> NamesOf(string? query) =>
        (query ?? "").Split('&', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=')[0]);

    private static string Join(string? query, string name, string value)
    {
        var kept = (query ?? "").Split('&', StringSplitOptions.RemoveEmptyEntries).Where(p => p.Split('=')[0] != name);
        return string.Join('&', kept.Append($"{name}={value}"));
    }

    private static string Cut(string s) => s.Length > 24 ? $"{s[..12]}…({s.Length} chars)" : s;
}
