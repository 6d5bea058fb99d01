using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Aetherium.Contracts.Agent;
using Microsoft.Extensions.Logging;

namespace Aetherium.Agent.Connection;

/// <summary>
/// The HTTP fallback (services/Contracts/Agent/Http.cs) for when WebSockets are refused: the same
/// payloads, POSTed; each heartbeat's answer carries the desired state, so reconciliation stays
/// level-triggered without pushes.
/// </summary>
internal static class HttpTransport
{
    public static async Task<SessionEnd> RunAsync(NodeAgent agent, CancellationToken stop)
    {
        var registration = await agent.RegistrationAsync(stop);
        RegisterAckData ack;
        using (var response = await PostAsync(agent, "api/v1/agent/register", registration, stop))
        {
            if (!response.IsSuccessStatusCode) return await RefusalAsync(agent, response, "register", stop);
            ack = await response.Content.ReadFromJsonAsync<RegisterAckData>(AgentJson.Options, stop)
                  ?? throw new InvalidDataException("empty REGISTER_ACK from POST /api/v1/agent/register");
        }
        agent.OnRegistered(ack, "http");

        var (heartbeat, metrics) = agent.Intervals(ack);
        var refused = new TaskCompletionSource<SessionEnd>(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            await agent.TelemetryLoopAsync(heartbeat, metrics,
                ct => HeartbeatAsync(agent, refused, ct),
                ct => MetricsAsync(agent, refused, ct),
                refused.Task, stop);
        }
        catch (Exception e) when ((e is HttpRequestException or IOException or OperationCanceledException or JsonException) && !stop.IsCancellationRequested)
        {
            agent.Logger.LogWarning("Lost the controller (HTTP): {Error}", e.Message);
            return new SessionEnd(true);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }

        if (!stop.IsCancellationRequested) return await refused.Task;
        await GoodbyeAsync(agent);
        return new SessionEnd(true);
    }

    private static async Task HeartbeatAsync(NodeAgent agent, TaskCompletionSource<SessionEnd> refused, CancellationToken ct)
    {
        using var response = await PostAsync(agent, "api/v1/agent/heartbeat", agent.Heartbeat(), ct);
        if (response.StatusCode == System.Net.HttpStatusCode.BadRequest)
        {
            await ReportInvalidAsync(agent, response, "heartbeat", ct);
            return;
        }
        if (!response.IsSuccessStatusCode)
        {
            refused.TrySetResult(await RefusalAsync(agent, response, "heartbeat", ct, registered: true));
            return;
        }
        var answer = await response.Content.ReadFromJsonAsync<HeartbeatAckData>(AgentJson.Options, ct);
        if (answer?.Desired is { } desired) agent.Reconciler.Offer(desired);
    }

    private static async Task MetricsAsync(NodeAgent agent, TaskCompletionSource<SessionEnd> refused, CancellationToken ct)
    {
        using var response = await PostAsync(agent, "api/v1/agent/metrics", await agent.MetricsAsync(ct), ct);
        if (response.StatusCode == System.Net.HttpStatusCode.BadRequest) await ReportInvalidAsync(agent, response, "metrics", ct);
        else if (!response.IsSuccessStatusCode) refused.TrySetResult(await RefusalAsync(agent, response, "metrics", ct, registered: true));
    }

    /// <summary>
    /// The controller refused one report for a field it does not accept (as over the WebSocket, where the frame is
    /// dropped): this agent's fault, logged with the fields; the session goes on and the next report may be fine.
    /// </summary>
    private static async Task ReportInvalidAsync(NodeAgent agent, HttpResponseMessage response, string call, CancellationToken ct)
    {
        var fields = "(unknown)";
        try
        {
            using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
            if (problem.RootElement.ValueKind == JsonValueKind.Object && problem.RootElement.TryGetProperty("errors", out var errors)
                && errors.ValueKind == JsonValueKind.Object)
                fields = string.Join(", ", errors.EnumerateObject().Select(e => e.Name));
        }
        catch (JsonException)
        {
        }
        agent.Logger.LogError("The controller refused this agent's {Call} report: invalid {Fields}", call, fields);
    }

    private static async Task GoodbyeAsync(NodeAgent agent)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            using var request = Request(agent, "api/v1/agent/goodbye");
            using var response = await agent.Controller.Http.SendAsync(request, timeout.Token);
            agent.Logger.LogInformation("Told the controller this agent is going away (HTTP {Status})", (int)response.StatusCode);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
        {
            agent.Logger.LogWarning("Could not say goodbye to the controller: {Error}", e.Message);
        }
    }

    /// <summary>
    /// A refusal carries an AckErrorCodes value in the ProblemDetails "code" extension. Without one
    /// (a plain 404 from a controller that lacks the route, a 5xx) it is a failure to retry, not a refusal.
    /// </summary>
    private static async Task<SessionEnd> RefusalAsync(NodeAgent agent, HttpResponseMessage response, string call, CancellationToken ct,
        bool registered = false)
    {
        string? code = null, detail = null;
        try
        {
            using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
            if (problem.RootElement.ValueKind == JsonValueKind.Object)
            {
                if (problem.RootElement.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.String) code = c.GetString();
                if (problem.RootElement.TryGetProperty("detail", out var d) && d.ValueKind == JsonValueKind.String) detail = d.GetString();
            }
        }
        catch (JsonException)
        {
        }
        if (code is null)
            throw new HttpRequestException($"POST /api/v1/agent/{call} answered HTTP {(int)response.StatusCode}", null, response.StatusCode);
        return agent.Refused(code, detail ?? $"HTTP {(int)response.StatusCode} on {call}", registered);
    }

    private static Task<HttpResponseMessage> PostAsync<T>(NodeAgent agent, string path, T body, CancellationToken ct)
    {
        var request = Request(agent, path);
        request.Content = JsonContent.Create(body, options: AgentJson.Options);
        return SendDisposingAsync(agent, request, ct);
    }

    private static async Task<HttpResponseMessage> SendDisposingAsync(NodeAgent agent, HttpRequestMessage request, CancellationToken ct)
    {
        using (request) return await agent.Controller.Http.SendAsync(request, ct);
    }

    private static HttpRequestMessage Request(NodeAgent agent, string path) => new(HttpMethod.Post, path)
    {
        Headers = { Authorization = new AuthenticationHeaderValue("Bearer", agent.Options.Token) },
    };
}
