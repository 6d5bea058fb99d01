using System.Buffers;
using System.Net;
using System.Net.WebSockets;
using Aetherium.Contracts.Agent;
using Microsoft.Extensions.Logging;

namespace Aetherium.Agent.Connection;

/// <summary>NODE_GOING_AWAY data: why the agent leaves (a planned shutdown is not a failure).</summary>
public sealed record GoingAwayData(string Reason);

/// <summary>DESIGN §6 over a WebSocket: CONNECTION_ACK, NODE_REGISTER/REGISTER_ACK, telemetry out, DESIRED_STATE in.</summary>
internal static class WebSocketTransport
{
    private const int MaxFrameBytes = 16 * 1024 * 1024;

    /// <summary>Small buffers: a fleet holds 1,000 of them; bigger frames arrive in several chunks.</summary>
    private const int ReceiveChunk = 2048;
    private static readonly TimeSpan SendTimeout = TimeSpan.FromSeconds(10);

    public static async Task<SessionEnd> RunAsync(NodeAgent agent, CancellationToken stop)
    {
        using var ws = new ClientWebSocket();
        ws.Options.SetRequestHeader("Authorization", "Bearer " + agent.Options.Token);
        ws.Options.CollectHttpResponseDetails = true;
        ws.Options.KeepAliveInterval = TimeSpan.FromSeconds(15);
        ws.Options.KeepAliveTimeout = TimeSpan.FromSeconds(20);
        ws.Options.SetBuffer(ReceiveChunk, ReceiveChunk);
        try
        {
            using var timeout = Timeout(stop, agent.Options.ConnectTimeout);
            await ws.ConnectAsync(agent.Controller.ConnectUri, agent.Controller.Invoker, timeout.Token);
        }
        catch (WebSocketException) when (!stop.IsCancellationRequested && UpgradeRefused(ws.HttpStatusCode))
        {
            agent.Logger.LogInformation("The controller refused the WebSocket upgrade (HTTP {Status}); using the HTTP fallback", (int)ws.HttpStatusCode);
            return await HttpTransport.RunAsync(agent, stop);
        }
        catch (WebSocketException) when (!stop.IsCancellationRequested && ws.HttpStatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            // The upgrade answer has no readable body; the HTTP register call tells which refusal it is.
            agent.Logger.LogWarning("The controller refused the token on the WebSocket upgrade (HTTP {Status})", (int)ws.HttpStatusCode);
            return await HttpTransport.RunAsync(agent, stop);
        }

        using (var timeout = Timeout(stop, agent.Options.ConnectTimeout))
        {
            var first = await ReceiveAsync(ws, timeout.Token)
                ?? throw new WebSocketException($"the controller closed the connection before CONNECTION_ACK ({ws.CloseStatusDescription})");
            if (first.Type != FrameTypes.ConnectionAck) throw new InvalidDataException($"expected {FrameTypes.ConnectionAck}, got {first.Type}");
            var ack = first.DataAs<ConnectionAckData>() ?? throw new InvalidDataException("CONNECTION_ACK without data");
            if (ack.Status != "success") return agent.Refused(ack.Error?.Code ?? AckErrorCodes.InternalError, ack.Error?.Message);
        }

        await SendAsync(agent, ws, Frame.Create(FrameTypes.NodeRegister, await agent.RegistrationAsync(stop)));
        RegisterAckData registered;
        using (var timeout = Timeout(stop, agent.Options.ConnectTimeout))
        {
            while (true)
            {
                var frame = await ReceiveAsync(ws, timeout.Token)
                    ?? throw new WebSocketException($"the controller closed the connection before REGISTER_ACK ({ws.CloseStatusDescription})");
                if (frame.Type == FrameTypes.DesiredState && frame.DataAs<DesiredStateData>() is { } early) agent.Reconciler.Offer(early);
                if (frame.Type != FrameTypes.RegisterAck) continue;
                registered = frame.DataAs<RegisterAckData>() ?? throw new InvalidDataException("REGISTER_ACK without data");
                break;
            }
        }
        if (registered.Status != "success") return agent.Refused("REGISTRATION_FAILED", $"REGISTER_ACK status {registered.Status}");
        agent.OnRegistered(registered, "websocket");

        var (heartbeat, metrics) = agent.Intervals(registered);
        using var receiveStop = new CancellationTokenSource();
        var receiving = ReceiveLoopAsync(agent, ws, receiveStop.Token);
        try
        {
            await agent.TelemetryLoopAsync(heartbeat, metrics,
                _ => SendAsync(agent, ws, Frame.Create(FrameTypes.TelemetryHeartbeat, agent.Heartbeat())),
                async ct => await SendAsync(agent, ws, Frame.Create(FrameTypes.TelemetryMetrics, await agent.MetricsAsync(ct))),
                receiving, stop);
        }
        catch (Exception e) when ((e is WebSocketException or IOException or OperationCanceledException) && !stop.IsCancellationRequested)
        {
            agent.Logger.LogWarning("Connection to the controller lost: {Error}", e.Message);
            return new SessionEnd(true);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }

        if (stop.IsCancellationRequested)
        {
            await GoodbyeAsync(agent, ws, receiving);
            return new SessionEnd(true);
        }
        var refusal = await receiving;
        if (refusal is not null) return agent.Refused(refusal, "the controller ended the session", registered: true);
        agent.Logger.LogWarning("The controller closed the connection ({Status} {Description})", ws.CloseStatus, ws.CloseStatusDescription);
        return new SessionEnd(true);
    }

    /// <summary>
    /// 404/405/426/501: no WebSocket endpoint or upgrades not allowed; 200/400: a proxy that strips
    /// the Upgrade header hands the request on as plain HTTP.
    /// </summary>
    internal static bool UpgradeRefused(HttpStatusCode status) => (int)status is 200 or 400 or 404 or 405 or 426 or 501;

    /// <summary>Takes DESIRED_STATE pushes until the connection ends; returns a refusal code if the controller gave one.</summary>
    private static async Task<string?> ReceiveLoopAsync(NodeAgent agent, ClientWebSocket ws, CancellationToken ct)
    {
        try
        {
            while (true)
            {
                var frame = await ReceiveAsync(ws, ct);
                if (frame is null)
                    return ws.CloseStatusDescription is { } d && (NodeAgent.PermanentRefusals.Contains(d) || d == AckErrorCodes.FrameTooLarge) ? d : null;
                switch (frame.Type)
                {
                    case FrameTypes.DesiredState when frame.DataAs<DesiredStateData>() is { } desired:
                        agent.Logger.LogDebug("Desired state version {Version}: {Count} VM(s)", desired.Version, desired.Vms.Count);
                        agent.Reconciler.Offer(desired);
                        break;
                    case FrameTypes.ConnectionAck when frame.DataAs<ConnectionAckData>() is { Status: not "success" } ack:
                        return ack.Error?.Code ?? AckErrorCodes.InternalError;
                    default:
                        agent.Logger.LogDebug("Ignoring frame {Type}", frame.Type);
                        break;
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or IOException or OperationCanceledException)
        {
            agent.Logger.LogDebug("Receive loop ended: {Error}", e.Message);
            return null;
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidDataException)
        {
            agent.Logger.LogWarning("Malformed frame from the controller, reconnecting: {Error}", e.Message);
            return null;
        }
    }

    private static async Task GoodbyeAsync(NodeAgent agent, ClientWebSocket ws, Task receiving)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            await SendAsync(agent, ws, Frame.Create(FrameTypes.NodeGoingAway, new GoingAwayData("shutdown")));
            await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "agent shutting down", timeout.Token);
            await receiving.WaitAsync(timeout.Token);
            agent.Logger.LogInformation("Told the controller this agent is going away");
        }
        catch (Exception e) when (e is WebSocketException or IOException or OperationCanceledException or TimeoutException)
        {
            agent.Logger.LogWarning("Could not say goodbye to the controller: {Error}", e.Message);
        }
    }

    /// <summary>
    /// Sends one frame. One over the controller's limit is not sent (the controller would end the session with
    /// FRAME_TOO_LARGE, and the same frame would come again after every reconnect): it is logged as this agent's fault.
    /// </summary>
    private static async Task SendAsync(NodeAgent agent, ClientWebSocket ws, Frame frame)
    {
        var bytes = frame.ToUtf8();
        agent.LastFrameSent = (frame.Type, bytes.Length);
        if (bytes.Length > AgentLimits.MaxFrameBytes)
        {
            agent.Logger.LogError("Not sending a {Type} frame of {Bytes} bytes: the controller takes at most {Limit}", frame.Type, bytes.Length, AgentLimits.MaxFrameBytes);
            return;
        }
        // Never the caller's stop token: cancelling a WebSocket send aborts the socket, and the goodbye must still go out.
        using var timeout = new CancellationTokenSource(SendTimeout);
        await ws.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, timeout.Token);
    }

    /// <summary>One whole message as a frame; null when the controller closed the connection.</summary>
    private static async Task<Frame?> ReceiveAsync(ClientWebSocket ws, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(ReceiveChunk);
        try
        {
            ArrayBufferWriter<byte>? large = null;
            while (true)
            {
                var result = await ws.ReceiveAsync(buffer.AsMemory(), ct);
                if (result.MessageType == WebSocketMessageType.Close) return null;
                if (result.EndOfMessage && large is null) return Frame.Parse(buffer.AsSpan(0, result.Count));
                large ??= new ArrayBufferWriter<byte>();
                large.Write(buffer.AsSpan(0, result.Count));
                if (large.WrittenCount > MaxFrameBytes) throw new InvalidDataException($"frame larger than {MaxFrameBytes} bytes");
                if (result.EndOfMessage) return Frame.Parse(large.WrittenSpan);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static CancellationTokenSource Timeout(CancellationToken stop, TimeSpan after)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(stop);
        cts.CancelAfter(after);
        return cts;
    }
}
