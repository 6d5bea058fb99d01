using System.Text.Json.Nodes;
using Aetherium.Gateway.Routing;

namespace Aetherium.Gateway.OpenApi;

/// <summary>
/// One OpenAPI document for the whole API (DESIGN §5): each service's /openapi/v1.json merged —
/// paths side by side, schemas renamed where two services use one name differently, a Bearer scheme
/// required everywhere except on the routes open at the edge. Only what the gateway routes is listed: a
/// service's internal operations (/internal/*, /connect/token) are not reachable here, so not described. Fetched through service discovery and
/// cached briefly; a service that is down is left out and named in x-missing-services.
/// </summary>
public sealed class AggregatedDocument(IHttpClientFactory factory, ILogger<AggregatedDocument> logger)
{
    public const string HttpClientName = "openapi";
    private readonly SemaphoreSlim _gate = new(1, 1);
    private (DateTimeOffset At, string Json)? _cached;

    public async Task<string> GetAsync(CancellationToken ct)
    {
        if (_cached is { } c && DateTimeOffset.UtcNow - c.At < TimeSpan.FromSeconds(30)) return c.Json;
        await _gate.WaitAsync(ct);
        try
        {
            if (_cached is { } again && DateTimeOffset.UtcNow - again.At < TimeSpan.FromSeconds(30)) return again.Json;
            var documents = new Dictionary<string, JsonObject>();
            var missing = new List<string>();
            foreach (var service in ApiRoutes.Services)
            {
                try
                {
                    var text = await factory.CreateClient(HttpClientName).GetStringAsync($"http://{service}/openapi/v1.json", ct);
                    documents[service] = JsonNode.Parse(text)!.AsObject();
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
                {
                    logger.LogWarning("OpenAPI document of {Service} unavailable: {Error}", service, ex.Message);
                    missing.Add(service);
                }
            }
            var json = Merge(documents, missing).ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true });
            // Only a complete document is cached: a missing service is retried on the next request.
            _cached = missing.Count == 0 ? (DateTimeOffset.UtcNow, json) : null;
            return json;
        }
        finally { _gate.Release(); }
    }

    public static JsonObject Merge(IReadOnlyDictionary<string, JsonObject> documents, IReadOnlyList<string> missing)
    {
        var paths = new JsonObject();
        var schemas = new JsonObject();
        var tags = new JsonArray();
        var seenTags = new HashSet<string>();
        var version = "3.1.1";

        // Schema names two services define differently get the service's name in front.
        var owners = documents.SelectMany(d => Schemas(d.Value).Select(s => (Name: s.Key, Service: d.Key, Json: s.Value!.ToJsonString())))
            .GroupBy(x => x.Name).ToDictionary(g => g.Key, g => g.Select(x => x.Json).Distinct().Count() > 1);

        foreach (var (service, original) in documents)
        {
            version = original["openapi"]?.GetValue<string>() ?? version;
            var renames = Schemas(original).Select(s => s.Key).Where(n => owners[n])
                .ToDictionary(n => n, n => char.ToUpperInvariant(service[0]) + service[1..] + n);
            var doc = renames.Count == 0 ? original : Rename(original, renames);
            foreach (var (name, schema) in Schemas(doc))
                if (!schemas.ContainsKey(name)) schemas[name] = schema!.DeepClone();
            foreach (var (path, item) in doc["paths"]?.AsObject() ?? [])
                if (ApiRoutes.Serving(path) is { } route)
                    paths[path] = MarkPublic(route, item!.DeepClone().AsObject());
            foreach (var tag in doc["tags"]?.AsArray() ?? [])
                if (tag?["name"]?.GetValue<string>() is { } t && seenTags.Add(t)) tags.Add(tag.DeepClone());
        }
        foreach (var (path, item) in GatewayOperations.Paths())
            if (!paths.ContainsKey(path)) paths[path] = item;

        var merged = new JsonObject
        {
            ["openapi"] = version,
            ["info"] = new JsonObject
            {
                ["title"] = "Aetherium API",
                ["version"] = "v1",
                ["description"] = "The control plane of a decentralized compute cloud: identity, workers, VMs, leases. Sign in with POST /api/v1/auth/login and authorize with the access token.",
            },
            ["servers"] = new JsonArray(new JsonObject { ["url"] = "/" }),
            ["paths"] = paths,
            ["components"] = new JsonObject
            {
                ["schemas"] = schemas,
                ["securitySchemes"] = new JsonObject
                {
                    ["Bearer"] = new JsonObject { ["type"] = "http", ["scheme"] = "bearer", ["bearerFormat"] = "JWT" },
                },
            },
            ["security"] = new JsonArray(new JsonObject { ["Bearer"] = new JsonArray() }),
        };
        if (tags.Count > 0) merged["tags"] = tags;
        if (missing.Count > 0) merged["x-missing-services"] = new JsonArray(missing.Select(m => (JsonNode)m).ToArray());
        return merged;
    }

    private static IEnumerable<KeyValuePair<string, JsonNode?>> Schemas(JsonObject doc) =>
        doc["components"]?["schemas"]?.AsObject() ?? [];

    private static JsonObject Rename(JsonObject doc, Dictionary<string, string> renames)
    {
        var text = doc.ToJsonString();
        foreach (var (from, to) in renames)
            text = text.Replace($"\"#/components/schemas/{from}\"", $"\"#/components/schemas/{to}\"", StringComparison.Ordinal);
        var copy = JsonNode.Parse(text)!.AsObject();
        var schemas = copy["components"]!["schemas"]!.AsObject();
        foreach (var (from, to) in renames)
        {
            var schema = schemas[from]!;
            schemas.Remove(from);
            schemas[to] = schema;
        }
        return copy;
    }

    /// <summary>Operations on routes open at the edge need no token: an empty security requirement.</summary>
    private static JsonObject MarkPublic(ApiRoute route, JsonObject item)
    {
        if (route.Public)
            foreach (var (method, operation) in item)
                if (operation is JsonObject op && method is "get" or "put" or "post" or "delete" or "patch")
                    op["security"] = new JsonArray();
        return item;
    }
}
