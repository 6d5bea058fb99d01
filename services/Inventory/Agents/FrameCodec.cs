using System.Text.Json;
using Aetherium.Contracts.Agent;

namespace Aetherium.Inventory.Agents;

/// <summary>
/// Reads agent frames straight from their UTF-8 bytes: the type is found without building a DOM and
/// the data is deserialized once into its record. Heartbeats are the hot path (DESIGN §9).
/// </summary>
public static class FrameCodec
{
    private static readonly string[] Known =
    [
        FrameTypes.TelemetryHeartbeat, FrameTypes.TelemetryMetrics, FrameTypes.NodeRegister, FrameTypes.NodeGoingAway,
        FrameTypes.ConnectionAck, FrameTypes.RegisterAck, FrameTypes.DesiredState,
    ];

    /// <summary>The frame's "type" as one of <see cref="FrameTypes"/> (no allocation), or null when absent or unknown.</summary>
    public static string? PeekType(ReadOnlySpan<byte> utf8)
    {
        var reader = new Utf8JsonReader(utf8);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isType = reader.ValueTextEquals("type"u8);
            if (!reader.Read()) return null;
            if (isType)
            {
                if (reader.TokenType != JsonTokenType.String) return null;
                foreach (var known in Known)
                    if (reader.ValueTextEquals(known)) return known;
                return null;
            }
            reader.Skip();
        }
        return null;
    }

    /// <summary>The frame's "data" as T; throws JsonException when it does not fit.</summary>
    public static T? Data<T>(ReadOnlySpan<byte> utf8) where T : class =>
        JsonSerializer.Deserialize<Envelope<T>>(utf8, AgentJson.Options)?.Data;

    public static byte[] Encode<T>(string type, T data) => Frame.Create(type, data).ToUtf8();

    private sealed record Envelope<T>(T? Data);
}
