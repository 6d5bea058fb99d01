using Aetherium.Contracts;
using Aetherium.Contracts.Agent;
using Aetherium.Inventory.Telemetry;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;

namespace Aetherium.Inventory.Agents;

/// <summary>
/// The agent's side of the API: the WebSocket (GET /agent/connect) and the HTTP fallback for scripts
/// (Agent/Http.cs), which carries the same payloads and answers errors as ProblemDetails whose "code"
/// is the CONNECTION_ACK error code.
/// </summary>
public static class AgentEndpoints
{
    public const string NotRegistered = "NOT_REGISTERED";

    public static void MapAgentEndpoints(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/api/v1/agent").AllowAnonymous(); // the worker token is checked here, to name the failure precisely
        g.Map("/connect", Connect).ExcludeFromDescription();
        g.MapPost("/register", Register);
        g.MapPost("/heartbeat", Heartbeat);
        g.MapPost("/metrics", Metrics);
        g.MapPost("/goodbye", Goodbye);
    }

    /// <summary>The Bearer token of the Authorization header, or ?access_token= for clients that cannot set headers.</summary>
    public static string? TokenOf(HttpRequest request)
    {
        var header = request.Headers[HeaderNames.Authorization].ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return header["Bearer ".Length..].Trim();
        var query = request.Query["access_token"].ToString();
        return string.IsNullOrEmpty(query) ? null : query;
    }

    private static async Task<IResult> Connect(HttpContext http, AgentSessionRunner runner)
    {
        if (!http.WebSockets.IsWebSocketRequest)
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "WebSocket expected",
                detail: "GET /api/v1/agent/connect is the agent WebSocket (DESIGN §6); the HTTP fallback is POST /api/v1/agent/register|heartbeat|metrics|goodbye.");
        var token = TokenOf(http.Request);
        using var socket = await http.WebSockets.AcceptWebSocketAsync();
        await runner.RunAsync(socket, token, http, http.RequestAborted);
        return Results.Empty;
    }

    private static async Task<Results<Ok<RegisterAckData>, ProblemHttpResult, ValidationProblem>> Register(
        NodeRegisterData? body, HttpRequest request, AgentAuthenticator auth, AgentLifecycle lifecycle, CancellationToken ct)
    {
        var agent = await auth.AuthenticateAsync(TokenOf(request), request.HttpContext, ct);
        if (agent.Agent is null) return Refused(agent.Code!, agent.Message!);
        var (ack, refusal) = await lifecycle.RegisterAsync(agent.Agent, body, null, ct);
        if (refusal is { Errors: { } errors })
            return TypedResults.ValidationProblem(errors, title: refusal.Message, extensions: new Dictionary<string, object?> { ["code"] = refusal.Code });
        if (refusal is not null) return Refused(refusal.Code, refusal.Message);
        return TypedResults.Ok(ack!);
    }

    private static async Task<Results<Ok<HeartbeatAckData>, ProblemHttpResult, ValidationProblem>> Heartbeat(
        HeartbeatData? body, HttpRequest request, AgentAuthenticator auth, HeartbeatIntake intake, AgentLifecycle lifecycle, CancellationToken ct)
    {
        var received = System.Diagnostics.Stopwatch.GetTimestamp();
        if (body is null)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["body"] = ["TELEMETRY_HEARTBEAT data is required"] });
        var agent = await auth.AuthenticateAsync(TokenOf(request), ct);
        if (agent.Agent is null) return Refused(agent.Code!, agent.Message!);
        if (agent.Agent.Status is WorkerStatus.Pending or WorkerStatus.Installing)
            return Refused(NotRegistered, "Register first: POST /api/v1/agent/register.");
        if (intake.Accept(agent.Agent.WorkerId, body, received) is { } invalid) return Invalid(invalid, FrameTypes.TelemetryHeartbeat);
        // Level-triggered: every answer carries the full desired state.
        return TypedResults.Ok(new HeartbeatAckData("success", await lifecycle.DesiredAsync(agent.Agent.WorkerId, ct)));
    }

    private static async Task<Results<Accepted, ProblemHttpResult, ValidationProblem>> Metrics(
        MetricsData? body, HttpRequest request, AgentAuthenticator auth, HeartbeatIntake intake, CancellationToken ct)
    {
        if (body is null)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["body"] = ["TELEMETRY_METRICS data is required"] });
        var agent = await auth.AuthenticateAsync(TokenOf(request), ct);
        if (agent.Agent is null) return Refused(agent.Code!, agent.Message!);
        if (agent.Agent.Status is WorkerStatus.Pending or WorkerStatus.Installing)
            return Refused(NotRegistered, "Register first: POST /api/v1/agent/register.");
        if (intake.AcceptMetrics(agent.Agent.WorkerId, body) is { } invalid) return Invalid(invalid, FrameTypes.TelemetryMetrics);
        return TypedResults.Accepted((string?)null);
    }

    /// <summary>A report refused by FrameRules: nothing of it was kept; the agent's next report may be fine.</summary>
    private static ValidationProblem Invalid(FieldErrors errors, string frameType) =>
        TypedResults.ValidationProblem(errors.ToDictionary(), title: $"{frameType} has invalid fields; it was not kept.");

    private static async Task<Results<NoContent, ProblemHttpResult>> Goodbye(
        HttpRequest request, AgentAuthenticator auth, AgentLifecycle lifecycle, CancellationToken ct)
    {
        var agent = await auth.AuthenticateAsync(TokenOf(request), ct);
        if (agent.Agent is null) return Refused(agent.Code!, agent.Message!);
        lifecycle.GoingAway(agent.Agent);
        return TypedResults.NoContent();
    }

    public static ProblemHttpResult Refused(string code, string message)
    {
        var (status, title) = code switch
        {
            AckErrorCodes.InvalidToken or AckErrorCodes.TokenExpired or AckErrorCodes.TokenRevoked => (StatusCodes.Status401Unauthorized, "Worker token refused"),
            AckErrorCodes.WorkerNotFound => (StatusCodes.Status404NotFound, "Worker not found"),
            AckErrorCodes.WorkerInactive => (StatusCodes.Status403Forbidden, "Worker inactive"),
            NotRegistered => (StatusCodes.Status409Conflict, "Worker not registered"),
            _ => (StatusCodes.Status503ServiceUnavailable, "Controller unavailable"),
        };
        return TypedResults.Problem(statusCode: status, title: title, detail: message,
            extensions: new Dictionary<string, object?> { ["code"] = code });
    }
}
