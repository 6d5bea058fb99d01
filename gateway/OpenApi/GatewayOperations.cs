using System.Text.Json.Nodes;

namespace Aetherium.Gateway.OpenApi;

/// <summary>
/// Operations of the API that no service's document describes: the gateway's own health endpoints and live
/// stream, and the agent WebSocket, which inventory serves but OpenAPI cannot express beyond its upgrade request.
/// </summary>
public static class GatewayOperations
{
    private const string Json = "application/json", Problem = "application/problem+json", EventStream = "text/event-stream";

    private const string LiveScope = "Users receive their organisation's workers, VMs and leases; admins everything. "
        + "Authenticate with the Bearer header, or ?access_token= for clients that cannot set headers (never logged). ";

    public static IEnumerable<(string Path, JsonObject Item)> Paths()
    {
        yield return ("/health", Get("Health", "Health of the gateway and of each service behind it",
            "Healthy only when every service behind the gateway is; each check is named after its service.",
            ("200", "Healthy", Json), ("503", "The gateway or a service behind it is unhealthy", Json)));
        yield return ("/alive", Get("Health", "The gateway process is alive", "Liveness only: no service is asked.",
            ("200", "Alive", Json), ("503", "Not alive", Json)));
        yield return ("/api/v1/agent/connect", Get("Agent", "The agent WebSocket",
            "Upgrade to a WebSocket with the worker token as the Bearer header (or ?access_token=). Frames are JSON "
            + "{type, message_id, timestamp, data}: the server sends CONNECTION_ACK first (success, or an error code such as "
            + "INVALID_TOKEN or TOKEN_REVOKED), the agent NODE_REGISTER, answered by REGISTER_ACK, then TELEMETRY_HEARTBEAT "
            + "and TELEMETRY_METRICS; the server pushes DESIRED_STATE. The HTTP fallback is POST /api/v1/agent/register|heartbeat|metrics|goodbye.",
            ("101", "Switching protocols: the socket is open", null), ("400", "Not a WebSocket request", Problem)));
        yield return ("/api/v1/events", Secured(Get("Live", "Live updates as server-sent events",
            LiveScope + "The first message is `event: snapshot` with {workers, vms, leases, at} in the shapes of GET /api/v1/workers, "
            + "/vms and /leases; then one message per event, `id: <sequence>`, `event: <type>` (worker.created, worker.registered, "
            + "worker.status_changed, worker.capacity_changed, worker.deleted, vm.requested, vm.scheduled, vm.unschedulable, "
            + "vm.state_changed, vm.migrated, vm.deleted, lease.created, lease.extended, lease.released, lease.expired) and data "
            + "{type, organization_id, occurred_at, data}, in the order the gateway received them; `: keep-alive` every 15 s. "
            + "A client that reconnects gets a fresh snapshot; one that reads too slowly is disconnected.",
            ("200", "The stream", EventStream), ("401", "No valid token", Problem), ("403", "Not a user's token", Problem),
            ("429", "Too many connection attempts", Problem), ("503", "The current state cannot be read right now; retry", Problem))));
        yield return ("/api/v1/hub", Secured(Get("Live", "Live updates over SignalR",
            LiveScope + "A SignalR hub (negotiate at /api/v1/hub/negotiate, JSON protocol): on connect the server calls the client's "
            + "`snapshot` with the same payload as GET /api/v1/events sends first, then `event` with each envelope, in the same "
            + "order and scope. The hub takes no calls.",
            ("101", "Switching protocols: the WebSocket transport is open", null), ("401", "No valid token", Problem),
            ("403", "Not a user's token", Problem))));
    }

    /// <summary>Needs the document's Bearer token (or ?access_token=), unlike the open operations above.</summary>
    private static JsonObject Secured(JsonObject item)
    {
        var operation = item["get"]!.AsObject();
        operation.Remove("security");
        operation["parameters"] = new JsonArray(new JsonObject
        {
            ["name"] = "access_token",
            ["in"] = "query",
            ["required"] = false,
            ["description"] = "The access token, for clients that cannot send an Authorization header.",
            ["schema"] = new JsonObject { ["type"] = "string" },
        });
        return item;
    }

    private static JsonObject Get(string tag, string summary, string description, params (string Status, string Description, string? MediaType)[] responses)
    {
        var answers = new JsonObject();
        foreach (var (status, text, mediaType) in responses)
        {
            var response = new JsonObject { ["description"] = text };
            if (mediaType is not null)
                response["content"] = new JsonObject { [mediaType] = new JsonObject { ["schema"] = new JsonObject { ["type"] = mediaType == EventStream ? "string" : "object" } } };
            answers[status] = response;
        }
        return new JsonObject
        {
            ["get"] = new JsonObject
            {
                ["tags"] = new JsonArray(tag),
                ["summary"] = summary,
                ["description"] = description,
                ["responses"] = answers,
                ["security"] = new JsonArray(), // open at the edge; the agent socket checks its worker token itself
            },
        };
    }
}
