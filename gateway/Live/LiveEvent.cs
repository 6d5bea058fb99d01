using System.Text.Json;
using System.Text.Json.Serialization;

namespace Aetherium.Gateway.Live;

/// <summary>
/// One bus event as every live client receives it (the contract's envelope), serialized once for all of
/// them: <see cref="Json"/> for server-sent events, <see cref="Element"/> for SignalR's JSON protocol.
/// </summary>
public sealed class LiveEvent
{
    /// <summary>The API's JSON (snake_case, enums as strings, nulls left out), as the services write their responses.</summary>
    public static readonly JsonSerializerOptions JsonOptions = CreateOptions();

    private LiveEvent(string type, Guid organizationId, byte[] json)
    {
        Type = type;
        OrganizationId = organizationId;
        Json = json;
        using var document = JsonDocument.Parse(json);
        Element = document.RootElement.Clone();
    }

    public string Type { get; }
    public Guid OrganizationId { get; }
    public byte[] Json { get; }
    public JsonElement Element { get; }

    public static LiveEvent Create(string type, Guid organizationId, DateTimeOffset occurredAt, object data) =>
        new(type, organizationId, JsonSerializer.SerializeToUtf8Bytes(new Envelope(type, organizationId, occurredAt, data), JsonOptions));

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        ServiceDefaultsExtensions.ConfigureJson(options);
        return options;
    }

    private sealed record Envelope(
        string Type,
        Guid OrganizationId,
        DateTimeOffset OccurredAt,
        // Declared as object so the event's own fields are written, not only object's (none).
        [property: JsonPropertyOrder(1)] object Data);
}
