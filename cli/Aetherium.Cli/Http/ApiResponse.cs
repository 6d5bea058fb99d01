using System.Net;
using System.Text.Json.Nodes;

namespace Aetherium.Cli.Http;

/// <summary>A successful answer of the API: its body as sent (for --json) and parsed (for tables).</summary>
public sealed record ApiResponse(HttpStatusCode Status, string Body)
{
    public JsonNode Json { get; } = Body.Length == 0 ? new JsonObject() : JsonNode.Parse(Body) ?? new JsonObject();
}
