using System.Text.Json;
using System.Text.Json.Serialization;

namespace Aetherium.AppHost.Dashboard;

/// <summary>The project's JSON shape (snake_case, enums as strings, nulls omitted), as ServiceDefaults sets it for the services.</summary>
internal static class DashboardJson
{
    public static readonly JsonSerializerOptions Options = Configure(new JsonSerializerOptions());

    public static JsonSerializerOptions Configure(JsonSerializerOptions o)
    {
        o.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        o.DictionaryKeyPolicy = null;
        o.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        o.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
        return o;
    }
}
