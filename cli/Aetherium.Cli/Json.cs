using System.Text.Json;
using System.Text.Json.Serialization;

namespace Aetherium.Cli;

/// <summary>The API's JSON conventions (snake_case, DESIGN §5); nulls are left out of request bodies.</summary>
public static class Json
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>One JSON value on one line (for --json output of streamed items).</summary>
    public static readonly JsonSerializerOptions Compact = new(Options) { WriteIndented = false };
}
