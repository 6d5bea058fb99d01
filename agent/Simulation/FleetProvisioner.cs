using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Aetherium.Contracts.Agent;

namespace Aetherium.Agent.Simulation;

/// <summary>Creates the workers of a simulated fleet through the public API and takes their tokens.</summary>
public static class FleetProvisioner
{
    private sealed record LoginRequest(string Username, string Password);
    private sealed record LoginResponse(string AccessToken);
    private sealed record CreateWorker(string Name, string? Zone, IReadOnlyDictionary<string, string> Labels);
    private sealed record CreatedWorker(Guid Id);
    private sealed record ListedWorker(Guid Id, string Name);
    private sealed record WorkerPage(IReadOnlyList<ListedWorker> Workers, int Total);
    private sealed record TokenRequest;
    private sealed record TokenResponse(string Token);

    /// <summary>
    /// Creates <paramref name="count"/> workers and takes a token for each. With a <paramref name="fleet"/> name the
    /// workers are named after it and labelled with it, and those that already exist are taken again
    /// instead of created: a fleet restarted (the AppHost's demo fleet) is the same fleet.
    /// </summary>
    public static async Task<IReadOnlyList<FleetMember>> CreateWorkersAsync(HttpClient api, string username, string password, int count,
        string? zone, TextWriter log, CancellationToken ct, string? fleet = null)
    {
        using var login = await api.PostAsJsonAsync("api/v1/auth/login", new LoginRequest(username, password), AgentJson.Options, ct);
        await EnsureAsync(login, "POST /api/v1/auth/login", ct);
        var access = (await login.Content.ReadFromJsonAsync<LoginResponse>(AgentJson.Options, ct))!.AccessToken;

        var prefix = fleet ?? $"sim-{zone ?? "default"}-{Guid.NewGuid().ToString("N")[..6]}";
        var labels = new Dictionary<string, string> { ["simulated"] = "true" };
        if (fleet is not null) labels["fleet"] = fleet;
        var existing = fleet is null ? [] : await ListFleetAsync(api, access, fleet, ct);
        var members = new FleetMember[count];
        var created = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct },
            async (i, token) =>
            {
                var name = $"{prefix}-{i:D4}";
                var id = existing.TryGetValue(name, out var known) ? known
                    : (await PostAsync<CreatedWorker>(api, access, "api/v1/workers", new CreateWorker(name, zone, labels), token)).Id;
                var issued = await PostAsync<TokenResponse>(api, access, $"api/v1/workers/{id}/token", new TokenRequest(), token);
                members[i] = new FleetMember(name, issued.Token);
                var done = Interlocked.Increment(ref created);
                if (done % 100 == 0 || done == count) await log.WriteLineAsync($"created {done}/{count} workers");
            });
        return members;
    }

    private static async Task<Dictionary<string, Guid>> ListFleetAsync(HttpClient api, string access, string fleet, CancellationToken ct)
    {
        var found = new Dictionary<string, Guid>();
        for (var page = 1; ; page++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"api/v1/workers?label={Uri.EscapeDataString($"fleet={fleet}")}&page={page}&limit=100")
            {
                Headers = { Authorization = new AuthenticationHeaderValue("Bearer", access) },
            };
            using var response = await api.SendAsync(request, ct);
            await EnsureAsync(response, "GET /api/v1/workers", ct);
            var listed = (await response.Content.ReadFromJsonAsync<WorkerPage>(AgentJson.Options, ct))!;
            foreach (var w in listed.Workers) found[w.Name] = w.Id;
            if (listed.Workers.Count == 0 || found.Count >= listed.Total) return found;
        }
    }

    /// <summary>Ready tokens, one agent a line: "name token", or just "token".</summary>
    public static IReadOnlyList<FleetMember> ReadTokensFile(string path) =>
        File.ReadAllLines(path)
            .Select(l => l.Trim())
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select((l, i) => l.Split((char[])[' ', '\t'], 2, StringSplitOptions.RemoveEmptyEntries) is [var name, var token]
                ? new FleetMember(name, token.Trim())
                : new FleetMember($"sim-{i:D4}", l))
            .ToList();

    private static async Task<T> PostAsync<T>(HttpClient api, string access, string path, object body, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = JsonContent.Create(body, body.GetType(), options: AgentJson.Options),
            Headers = { Authorization = new AuthenticationHeaderValue("Bearer", access) },
        };
        using var response = await api.SendAsync(request, ct);
        await EnsureAsync(response, $"POST /{path}", ct);
        return (await response.Content.ReadFromJsonAsync<T>(AgentJson.Options, ct))!;
    }

    private static async Task EnsureAsync(HttpResponseMessage response, string call, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode) return;
        var body = await response.Content.ReadAsStringAsync(ct);
        string? detail = null;
        try
        {
            using var problem = JsonDocument.Parse(body);
            detail = problem.RootElement.TryGetProperty("detail", out var d) ? d.GetString()
                : problem.RootElement.TryGetProperty("title", out var t) ? t.GetString() : null;
        }
        catch (JsonException)
        {
        }
        throw new HttpRequestException($"{call} answered HTTP {(int)response.StatusCode}{(detail is null ? "" : ": " + detail)}", null, response.StatusCode);
    }
}
