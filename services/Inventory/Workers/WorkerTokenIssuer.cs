using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Aetherium.Contracts.Internal;

namespace Aetherium.Inventory.Workers;

/// <summary>Mints worker tokens. Identity owns them (DESIGN §4).</summary>
public interface IWorkerTokenIssuer
{
    Task<IssuedWorkerToken> IssueAsync(IssueWorkerTokenRequest request, CancellationToken ct);
}

/// <summary>Lists and revokes one worker's tokens at identity; null from RevokeAsync: the worker has no such token.</summary>
public interface IWorkerTokenDirectory
{
    Task<WorkerTokenPage> ListAsync(Guid workerId, int? page, int? limit, CancellationToken ct);
    Task<WorkerTokenRecord?> RevokeAsync(Guid tokenId, RevokeWorkerTokenRequest request, CancellationToken ct);
}

/// <summary>Identity's <c>/internal/worker-tokens</c> with a service token (docs/architecture.md): the only HTTP calls inventory makes to it.</summary>
public sealed class IdentityWorkerTokens(HttpClient http) : IWorkerTokenIssuer, IWorkerTokenDirectory
{
    private static readonly JsonSerializerOptions Json = CreateJson();

    public async Task<IssuedWorkerToken> IssueAsync(IssueWorkerTokenRequest request, CancellationToken ct)
    {
        using var response = await http.PostAsJsonAsync("internal/worker-tokens", request, Json, ct);
        return await ReadAsync<IssuedWorkerToken>(response, "a worker-token request", ct);
    }

    public async Task<WorkerTokenPage> ListAsync(Guid workerId, int? page, int? limit, CancellationToken ct)
    {
        var query = $"internal/worker-tokens?worker_id={workerId}" + (page is null ? "" : $"&page={page}") + (limit is null ? "" : $"&limit={limit}");
        using var response = await http.GetAsync(query, ct);
        return await ReadAsync<WorkerTokenPage>(response, "a worker-token list", ct);
    }

    public async Task<WorkerTokenRecord?> RevokeAsync(Guid tokenId, RevokeWorkerTokenRequest request, CancellationToken ct)
    {
        using var response = await http.PostAsJsonAsync($"internal/worker-tokens/{tokenId}/revoke", request, Json, ct);
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        return await ReadAsync<WorkerTokenRecord>(response, "a worker-token revocation", ct);
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, string what, CancellationToken ct)
    {
        if (!response.IsSuccessStatusCode)
            throw new WorkerTokenUnavailableException($"identity answered {(int)response.StatusCode} to {what}");
        return await response.Content.ReadFromJsonAsync<T>(Json, ct)
            ?? throw new WorkerTokenUnavailableException($"identity answered {what} with an empty body");
    }

    private static JsonSerializerOptions CreateJson()
    {
        var o = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        Microsoft.Extensions.Hosting.ServiceDefaultsExtensions.ConfigureJson(o);
        return o;
    }
}

public sealed class WorkerTokenUnavailableException(string message) : Exception(message);
