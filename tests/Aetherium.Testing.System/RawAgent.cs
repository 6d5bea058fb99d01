using System.Net.WebSockets;
using Aetherium.Contracts.Agent;

namespace Aetherium.Testing.System;

/// <summary>The first frame a controller sends an agent that connects with a token: for refusals, and to see the socket pass the gateway.</summary>
public static class RawAgent
{
    public static async Task<ConnectionAckData> ConnectionAckAsync(Uri gateway, string token, IReadOnlyDictionary<string, string>? headers = null)
    {
        await using var session = await OpenAsync(gateway, token, headers);
        return session.Ack;
    }

    /// <summary>A session left open after its CONNECTION_ACK, to see the controller end it.</summary>
    public static async Task<RawSession> OpenAsync(Uri gateway, string token, IReadOnlyDictionary<string, string>? headers = null)
    {
        var socket = new ClientWebSocket();
        try
        {
            socket.Options.SetRequestHeader("Authorization", $"Bearer {token}");
            foreach (var (name, value) in headers ?? new Dictionary<string, string>()) socket.Options.SetRequestHeader(name, value);
            var ws = new UriBuilder(gateway) { Scheme = gateway.Scheme == "https" ? "wss" : "ws", Path = "/api/v1/agent/connect" }.Uri;
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await socket.ConnectAsync(ws, timeout.Token);
            var frame = await RawSession.ReceiveAsync(socket, timeout.Token)
                ?? throw new InvalidOperationException("the controller closed the socket before its CONNECTION_ACK");
            if (frame.Type != FrameTypes.ConnectionAck) throw new InvalidOperationException($"first frame was {frame.Type}");
            return new RawSession(socket, frame.DataAs<ConnectionAckData>()!);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}

public sealed class RawSession(ClientWebSocket socket, ConnectionAckData ack) : IAsyncDisposable
{
    public ConnectionAckData Ack { get; } = ack;

    /// <summary>Reads frames until the controller ends the session: the error CONNECTION_ACK it sent last (null if none), or a timeout.</summary>
    public async Task<AckError?> EndedAsync(TimeSpan within)
    {
        using var timeout = new CancellationTokenSource(within);
        AckError? error = null;
        while (await ReceiveAsync(socket, timeout.Token) is { } frame)
            if (frame.Type == FrameTypes.ConnectionAck) error = frame.DataAs<ConnectionAckData>()!.Error;
        return error;
    }

    /// <summary>The next frame, or null once the controller closed the socket.</summary>
    internal static async Task<Frame?> ReceiveAsync(ClientWebSocket socket, CancellationToken ct)
    {
        var buffer = new byte[64 * 1024];
        var received = await socket.ReceiveAsync(buffer, ct);
        return received.MessageType == WebSocketMessageType.Close ? null : Frame.Parse(buffer.AsSpan(0, received.Count));
    }

    public async ValueTask DisposeAsync()
    {
        // A clean close ends the session (and its request) at once, rather than when the broken connection is noticed.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try { if (socket.State == WebSocketState.Open) await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token); }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException) { }
        socket.Dispose();
    }
}
