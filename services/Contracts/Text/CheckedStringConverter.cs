using System.Text.Json;
using System.Text.Json.Serialization;

namespace Aetherium.Contracts.Text;

/// <summary>
/// Reads every JSON string through <see cref="TextRules"/>: a string that breaks them fails the read
/// with an <see cref="InvalidTextException"/>, whose Path (set by the serializer, e.g. "$.spec.name")
/// names the field. Registered in the REST JSON options (ServiceDefaults) and in AgentJson.Options,
/// so no bad string gets past deserialization. Writing is unchanged.
/// </summary>
public sealed class CheckedStringConverter : JsonConverter<string>
{
    public override bool HandleNull => false;

    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String)
            throw new JsonException($"must be a string, not {reader.TokenType.ToString().ToLowerInvariant()}");
        return ReadChecked(ref reader);
    }

    /// <summary>Dictionary keys (labels, metadata) follow the same rule as values.</summary>
    public override string ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        ReadChecked(ref reader);

    public override void WriteAsPropertyName(Utf8JsonWriter writer, string value, JsonSerializerOptions options) =>
        writer.WritePropertyName(value);

    private static string ReadChecked(ref Utf8JsonReader reader)
    {
        string value;
        try
        {
            value = reader.GetString()!;
        }
        catch (InvalidOperationException)
        {
            // Invalid UTF-8 bytes, or an escaped lone surrogate ("\ud800").
            throw new InvalidTextException(TextFault.InvalidUnicode);
        }
        var fault = TextRules.Check(value);
        if (fault != TextFault.None) throw new InvalidTextException(fault);
        return value;
    }

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);
}

/// <summary>A JSON string refused by <see cref="TextRules"/>; the message never quotes the value.</summary>
public sealed class InvalidTextException(TextFault fault) : JsonException(TextRules.Describe(fault))
{
    public TextFault Fault { get; } = fault;
}

public static class JsonField
{
    /// <summary>
    /// The field a JsonException's Path points at, as the API names it: "$.spec.name" → "spec.name",
    /// "$.data.vms[0].reason" → "vms[0].reason" when <paramref name="under"/> is "data"; "body" for the root.
    /// </summary>
    public static string FromPath(string? path, string? under = null)
    {
        if (string.IsNullOrEmpty(path) || path == "$") return "body";
        var field = path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');
        if (under is not null && field.StartsWith(under + ".", StringComparison.Ordinal)) field = field[(under.Length + 1)..];
        else if (under is not null && field == under) field = "body";
        // A refused dictionary key is part of the path: name its parent instead of echoing the bad text.
        if (TextRules.Check(field, 1000) != TextFault.None)
        {
            var bad = 0;
            while (bad < Math.Min(field.Length, 1000) && TextRules.Check(field.AsSpan(bad, 1)) == TextFault.None) bad++;
            var cut = bad == 0 ? -1 : field.LastIndexOfAny(['.', '['], bad - 1);
            field = cut > 0 ? field[..cut] : "body";
        }
        return field.Length == 0 ? "body" : field;
    }

    /// <summary>What a JsonException says about the field, without the serializer's "Path: … | LineNumber …" tail.</summary>
    public static string Problem(JsonException ex)
    {
        if (ex is InvalidTextException) return ex.Message;
        var message = ex.Message;
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        if (cut > 0) message = message[..cut];
        return message.StartsWith("The JSON value could not be converted", StringComparison.Ordinal) ? "has the wrong type or format" : message;
    }
}
