using System.Net.Http.Json;
using System.Text.Json;
using Aetherium.Contracts.Internal;

namespace Aetherium.Inventory.Workers;

/// <summary>Mints worker tokens. Identity owns them (DESIGN §4); this is the one HTTP call inventory makes to it.</summary>
public interface IWorkerTokenIssuer
{
    Task<IssuedWorkerToken> IssueAsync(IssueWorkerTokenRequest request, CancellationToken ct);
}

/// <summary><c>POST http://identity/internal/worker-tokens</c> with a service token (docs/architecture.md).</summary>
public sealed class IdentityWorkerTokenIssuer(HttpClient http) : IWorkerTokenIssuer
{
    private static readonly JsonSerializerOptions Json = CreateJson();

    public async Task<IssuedWorkerToken> IssueAsync(IssueWorkerTokenRequest request, CancellationToken ct)
    {
        using var response = await http.PostAsJsonAsync("internal/worker-tokens", request, Json, ct);
        if (!response.IsSuccessStatusCode)
            throw new WorkerTokenUnavailableException($"identity answered {(int)response.StatusCode} to a worker-token request");
        return await response.Content.ReadFromJsonAsync<IssuedWorkerToken>(Json, ct)
            ?? throw new WorkerTokenUnavailableException("identity answered a worker-token request with an empty body");
    }

    private static JsonSerializerOptions CreateJson()
    {
        var o = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        Microsoft.Extensions.Hosting.ServiceDefaultsExtensions.ConfigureJson(o);
        return o;
    }
}

public sealed class WorkerTokenUnavailableException(string message) : Exception(message);
