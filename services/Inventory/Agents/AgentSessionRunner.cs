using System.Buffers;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Net.WebSockets;
using System.Text.Json;
using Aetherium.Contracts.Agent;
using Aetherium.Contracts.Text;
using Aetherium.Inventory.Telemetry;

namespace Aetherium.Inventory.Agents;

/// <summary>
/// Runs one agent WebSocket (DESIGN §6): CONNECTION_ACK (success, or an error code and close), then
/// NODE_REGISTER → REGISTER_ACK, heartbeats and metrics into memory, DESIRED_STATE pushes, and
/// NODE_GOING_AWAY. Frames that are not JSON or not understood are ignored, not fatal; telemetry with a
/// bad field (TextRules, FrameRules) is dropped and logged (rate-limited) while the session goes on; a
/// NODE_REGISTER with one is answered by REGISTER_ACK INVALID_REGISTRATION naming it. A frame over
/// <see cref="MaxFrameBytes"/> ends the session: FRAME_TOO_LARGE and close 1009 (MessageTooBig).
/// </summary>
public sealed class AgentSessionRunner(
    AgentAuthenticator authenticator,
    AgentLifecycle lifecycle,
    SessionRegistry sessions,
    DesiredStatePusher pusher,
    HeartbeatIntake intake,
    InventoryMeters meters,
    ILogger<AgentSessionRunner> log)
{
    public const int MaxFrameBytes = AgentLimits.MaxFrameBytes;
    private const int InitialBuffer = 4096;

    public async Task RunAsync(WebSocket socket, string? token, HttpContext http, CancellationToken aborted)
    {
        var auth = await authenticator.AuthenticateAsync(token, http, aborted);
        if (auth.Agent is null)
        {
            await RefuseAsync(socket, null, auth.Code!, auth.Message!, aborted);
            return;
        }
        using var session = new AgentSession(socket, auth.Agent, aborted);
        AgentRefusal? refusal;
        try
        {
            refusal = await lifecycle.OpenSessionAsync(session.Agent, session.Id, aborted);
        }
        catch (Exception ex) when (!aborted.IsCancellationRequested)
        {
            log.LogError("Could not open the session of worker {WorkerId}: {Error}", session.Agent.WorkerId, ex.Message);
            refusal = new AgentRefusal(AckErrorCodes.InternalError, "The controller could not open the session; retry later.");
        }
        if (refusal is not null)
        {
            await RefuseAsync(socket, session.Agent.WorkerId, refusal.Code, refusal.Message, aborted);
            return;
        }

        sessions.Add(session);
        meters.SessionOpened();
        try
        {
            await session.SendAsync(FrameCodec.Encode(FrameTypes.ConnectionAck,
                new ConnectionAckData("success", session.Agent.WorkerId, ControllerInfo.Id, ControllerInfo.Version)));
            await ReceiveLoopAsync(session);
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException || session.Ending.IsCancellationRequested)
        {
            // The agent went away or the session was ended from here.
        }
        catch (Exception ex)
        {
            log.LogWarning("Session of worker {WorkerId} failed: {Error}", session.Agent.WorkerId, ex.Message);
        }
        finally
        {
            sessions.Remove(session);
            meters.SessionClosed();
            try
            {
                await lifecycle.CloseSessionAsync(session.Agent.WorkerId, session.Id, CancellationToken.None);
            }
            catch (Exception ex)
            {
                log.LogWarning("Could not record the end of worker {WorkerId}'s session: {Error}", session.Agent.WorkerId, ex.Message);
            }
        }
    }

    private async Task ReceiveLoopAsync(AgentSession session)
    {
        var socket = session.Socket;
        while (socket.State == WebSocketState.Open)
        {
            // Wait for the next frame without holding a buffer: an idle session costs no buffer memory.
            var peek = await socket.ReceiveAsync(Memory<byte>.Empty, session.Ending);
            if (peek.MessageType == WebSocketMessageType.Close) break;
            var buffer = ArrayPool<byte>.Shared.Rent(InitialBuffer);
            try
            {
                var length = 0;
                var end = peek.EndOfMessage;
                while (!end)
                {
                    if (length == buffer.Length)
                    {
                        if (length >= MaxFrameBytes)
                        {
                            await session.CloseAsync(AckErrorCodes.FrameTooLarge, $"Frames are limited to {MaxFrameBytes} bytes.",
                                WebSocketCloseStatus.MessageTooBig);
                            return;
                        }
                        var bigger = ArrayPool<byte>.Shared.Rent(Math.Min(length * 2, MaxFrameBytes));
                        buffer.AsSpan(0, length).CopyTo(bigger);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = bigger;
                    }
                    var r = await socket.ReceiveAsync(buffer.AsMemory(length), session.Ending);
                    if (r.MessageType == WebSocketMessageType.Close) return;
                    length += r.Count;
                    end = r.EndOfMessage;
                }
                if (!await HandleFrameAsync(session, buffer.AsMemory(0, length), Stopwatch.GetTimestamp())) return;
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
        if (socket.State == WebSocketState.CloseReceived) await session.EndNormallyAsync("bye");
    }

    /// <summary>Returns false when the session must end.</summary>
    private async Task<bool> HandleFrameAsync(AgentSession session, ReadOnlyMemory<byte> frame, long receivedAt)
    {
        var agent = session.Agent;
        try
        {
            switch (FrameCodec.PeekType(frame.Span))
            {
                case FrameTypes.TelemetryHeartbeat when session.Registered:
                    if (!TryRead<HeartbeatData>(agent.WorkerId, FrameTypes.TelemetryHeartbeat, frame, out var heartbeat)) return true;
                    if (intake.Accept(agent.WorkerId, heartbeat, receivedAt) is null) pusher.OnHeartbeat(session, heartbeat.DesiredVersion);
                    return true;

                case FrameTypes.TelemetryMetrics when session.Registered:
                    if (TryRead<MetricsData>(agent.WorkerId, FrameTypes.TelemetryMetrics, frame, out var metrics)) intake.AcceptMetrics(agent.WorkerId, metrics);
                    return true;

                case FrameTypes.NodeRegister:
                    NodeRegisterData? facts;
                    try
                    {
                        facts = FrameCodec.Data<NodeRegisterData>(frame.Span);
                    }
                    catch (JsonException ex)
                    {
                        await RefuseRegistrationAsync(session, AgentLifecycle.Invalid(new() { [JsonField.FromPath(ex.Path, "data")] = [JsonField.Problem(ex)] }));
                        return true;
                    }
                    return await RegisterAsync(session, facts);

                case FrameTypes.NodeGoingAway:
                    lifecycle.GoingAway(agent);
                    await session.EndNormallyAsync("goodbye");
                    return true; // the close handshake ends the loop

                default:
                    // Telemetry before NODE_REGISTER, or a frame type this controller does not know.
                    return true;
            }
        }
        catch (JsonException ex)
        {
            log.LogDebug("Ignored a malformed frame from worker {WorkerId}: {Error}", agent.WorkerId, ex.Message);
            return true;
        }
    }

    /// <summary>Reads a telemetry frame's data; one that cannot be read is refused like one that breaks FrameRules.</summary>
    private bool TryRead<T>(Guid workerId, string frameType, ReadOnlyMemory<byte> frame, [NotNullWhen(true)] out T? data) where T : class
    {
        try
        {
            data = FrameCodec.Data<T>(frame.Span);
            if (data is null) intake.Unreadable(workerId, frameType, "data", "is required");
            return data is not null;
        }
        catch (JsonException ex)
        {
            intake.Unreadable(workerId, frameType, JsonField.FromPath(ex.Path, "data"), JsonField.Problem(ex));
            data = null;
            return false;
        }
    }

    private async Task<bool> RegisterAsync(AgentSession session, NodeRegisterData? data)
    {
        (RegisterAckData? Ack, AgentRefusal? Refusal) result;
        try
        {
            result = await lifecycle.RegisterAsync(session.Agent, data, session.Id, session.Ending);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            log.LogError("Registration of worker {WorkerId} failed: {Error}", session.Agent.WorkerId, ex.Message);
            result = (null, new AgentRefusal(AckErrorCodes.InternalError, "The controller could not register the worker; retry later."));
        }
        if (result.Ack is { } ack)
        {
            await session.SendAsync(FrameCodec.Encode(FrameTypes.RegisterAck, ack));
            DesiredStatePusher.MarkSent(session, ack.Desired.Version);
            session.Registered = true;
            return true;
        }
        var refusal = result.Refusal!;
        if (refusal.Code == AgentLifecycle.InvalidRegistration || refusal.Code == AckErrorCodes.InternalError)
        {
            await RefuseRegistrationAsync(session, refusal);
            return true;
        }
        await session.CloseAsync(refusal.Code, refusal.Message);
        return true; // the close handshake ends the loop
    }

    /// <summary>The agent may fix its report or retry: the session stays open.</summary>
    private static Task RefuseRegistrationAsync(AgentSession session, AgentRefusal refusal) =>
        session.SendAsync(FrameCodec.Encode(FrameTypes.RegisterAck, new RegisterRefusal("error", session.Agent.WorkerId,
            new AckError(refusal.Code, refusal.Message), refusal.Errors)));

    private async Task RefuseAsync(WebSocket socket, Guid? workerId, string code, string message, CancellationToken ct)
    {
        try
        {
            var ack = new ConnectionAckData("error", workerId, ControllerInfo.Id, ControllerInfo.Version, new AckError(code, message));
            await socket.SendAsync(FrameCodec.Encode(FrameTypes.ConnectionAck, ack), WebSocketMessageType.Text, true, ct);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            await socket.CloseOutputAsync(WebSocketCloseStatus.PolicyViolation, code, timeout.Token);
            // Wait for the agent's close so it reads the ack before the connection drops.
            var scratch = new byte[256];
            while (socket.State == WebSocketState.CloseSent)
                if ((await socket.ReceiveAsync(scratch, timeout.Token)).MessageType == WebSocketMessageType.Close) break;
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException)
        {
            // The agent left first.
        }
        log.LogInformation("Refused an agent connection: {Code}", code);
    }
}

/// <summary>REGISTER_ACK when NODE_REGISTER could not be taken (the session stays open).</summary>
public sealed record RegisterRefusal(string Status, Guid WorkerId, AckError Error, Dictionary<string, string[]>? Errors);
