using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Aetherium.Gateway.Routing;

namespace Aetherium.Gateway.Live;

/// <summary>The snapshot could not be taken: a service did not answer, or refused.</summary>
public sealed class LiveSnapshotException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// What the caller sees right now, asked of the services with the caller's own token (so each service
/// scopes it as for any request): every page of GET /api/v1/workers, /vms and /leases, in their shapes.
/// </summary>
public sealed class LiveSnapshot(IHttpClientFactory factory)
{
    public const string HttpClientName = "live-snapshot";

    private static readonly (string Key, string Service, string Path, int Limit)[] Lists =
    [
        ("workers", ApiRoutes.Inventory, "/api/v1/workers", 500),
        ("vms", ApiRoutes.Scheduler, "/api/v1/vms", 500),
        ("leases", ApiRoutes.Lease, "/api/v1/leases", 100),
    ];

    public async Task<JsonObject> TakeAsync(string token, DateTimeOffset at, CancellationToken ct)
    {
        var lists = await Task.WhenAll(Lists.Select(l => ListAsync(token, l.Key, l.Service, l.Path, l.Limit, ct)));
        var snapshot = new JsonObject();
        for (var i = 0; i < Lists.Length; i++) snapshot[Lists[i].Key] = lists[i];
        snapshot["at"] = at.ToString("O");
        return snapshot;
    }

    private async Task<JsonArray> ListAsync(string token, string key, string service, string path, int limit, CancellationToken ct)
    {
        var items = new JsonArray();
        // Items can move between pages while they are read (new VMs come first): each is kept once.
        var seen = new HashSet<string>();
        var http = factory.CreateClient(HttpClientName);
        for (var page = 1; ; page++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"http://{service}{path}?page={page}&limit={limit}");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            JsonObject body;
            try
            {
                using var response = await http.SendAsync(request, ct);
                if (!response.IsSuccessStatusCode)
                    throw new LiveSnapshotException($"{service} answered {(int)response.StatusCode} to GET {path}");
                body = JsonNode.Parse(await response.Content.ReadAsStringAsync(ct)) as JsonObject
                    ?? throw new LiveSnapshotException($"{service} answered GET {path} with no JSON object");
            }
            catch (Exception ex) when (ex is HttpRequestException or System.Text.Json.JsonException or Polly.ExecutionRejectedException
                                       || (ex is TaskCanceledException && !ct.IsCancellationRequested))
            {
                throw new LiveSnapshotException($"{service} did not answer GET {path}: {ex.Message}", ex);
            }
            var pageItems = body[key]?.AsArray() ?? [];
            var count = pageItems.Count;
            foreach (var item in pageItems.ToList())
            {
                pageItems.Remove(item);
                if (item?["id"]?.ToString() is not { } id || seen.Add(id)) items.Add(item);
            }
            if (count < limit || items.Count >= (body["total"]?.GetValue<int>() ?? 0)) break;
        }
        return items;
    }
}
