using System.Text;
using Aetherium.Contracts.Agent;
using Aetherium.Testing.System;

namespace Aetherium.EndToEnd.Tests.Probe;

/// <summary>What came back: the status, the body's media type and the body (cut).</summary>
public sealed record Answer(int Status, string? MediaType, string Body)
{
    public bool IsProblem => MediaType == "application/problem+json";
}

/// <summary>Sends one request through the gateway as a principal, reading streams (the live stream, the package) only to their headers.</summary>
public static class Sender
{
    public const string AgentSocket = "GET /api/v1/agent/connect", LiveStream = "GET /api/v1/events", Package = "GET /api/v1/agent/package";

    /// <param name="expectContinue">Send a large body as curl does, after "Expect: 100-continue": the gateway refuses it from its
    /// Content-Length before any of it is written (sent outright, the refusal can break the client's pipe mid-write).</param>
    public static async Task<Answer> SendAsync(HttpClient gateway, string key, string method, string pathAndQuery, string? token, HttpContent? content,
        bool expectContinue = false)
    {
        if (key == AgentSocket) return await SocketAsync(gateway.BaseAddress!, token);
        return await HttpAsync(gateway, key, method, pathAndQuery, token, content, expectContinue);
    }

    /// <summary>As <see cref="SendAsync"/>, always as plain HTTP (the agent socket's URL too).</summary>
    public static async Task<Answer> HttpAsync(HttpClient gateway, string key, string method, string pathAndQuery, string? token, HttpContent? content,
        bool expectContinue = false)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), pathAndQuery) { Content = content };
        if (token is not null) request.Headers.Authorization = new("Bearer", token);
        if (expectContinue) request.Headers.ExpectContinue = true;
        var headersOnly = key is LiveStream or Package;
        using var response = await gateway.SendAsync(request, headersOnly ? HttpCompletionOption.ResponseHeadersRead : HttpCompletionOption.ResponseContentRead);
        var status = (int)response.StatusCode;
        var body = headersOnly && status < 300 ? "" : await response.Content.ReadAsStringAsync();
        return new Answer(status, response.Content.Headers.ContentType?.MediaType, body.Length > 300 ? body[..300] + "…" : body);
    }

    public static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    /// <summary>
    /// The agent's WebSocket: its answer is the CONNECTION_ACK frame, read here as the HTTP fallback answers the same
    /// refusal (AgentEndpoints.Refused): success is 101, INVALID_TOKEN / TOKEN_EXPIRED / TOKEN_REVOKED 401.
    /// </summary>
    private static async Task<Answer> SocketAsync(Uri gateway, string? token)
    {
        var ack = await RawAgent.ConnectionAckAsync(gateway, token ?? "");
        var status = ack.Error?.Code switch
        {
            null => 101,
            AckErrorCodes.InvalidToken or AckErrorCodes.TokenExpired or AckErrorCodes.TokenRevoked => 401,
            AckErrorCodes.WorkerNotFound => 404,
            AckErrorCodes.WorkerInactive => 403,
            _ => 503,
        };
        return new Answer(status, "application/problem+json", ack.Error?.Code ?? ack.Status);
    }
}
