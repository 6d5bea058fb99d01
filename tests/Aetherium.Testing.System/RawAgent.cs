using System.Net.WebSockets;
using Aetherium.Contracts.Agent;

namespace Aetherium.Testing.System;

/// <summary>The first frame a controller sends an agent that connects with a token: for refusals, and to see the socket pass the gateway.</summary>
public static class RawAgent
{
    public static async Task<ConnectionAckData> ConnectionAckAsync(Uri gateway, string token, IReadOnlyDictionary<string, string>? headers = null)
    {
        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", $"Bearer {token}");
        foreach (var (name, value) in headers ?? new Dictionary<string, string>()) socket.Options.SetRequestHeader(name, value);
        var ws = new UriBuilder(gateway) { Scheme = gateway.Scheme == "https" ? "wss" : "ws", Path = "/api/v1/agent/connect" }.Uri;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await socket.ConnectAsync(ws, timeout.Token);
        var buffer = new byte[64 * 1024];
        var received = await socket.ReceiveAsync(buffer, timeout.Token);
        var frame = Frame.Parse(buffer.AsSpan(0, received.Count))!;
        if (frame.Type != FrameTypes.ConnectionAck) throw new InvalidOperationException($"first frame was {frame.Type}");
        // A clean close ends the session (and its request) at once, rather than when the broken connection is noticed.
        try { await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token); }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException) { }
        return frame.DataAs<ConnectionAckData>()!;
    }
}
