using System.Net.WebSockets;
using Aetherium.Contracts.Agent;

namespace Aetherium.Inventory.Agents;

/// <summary>
/// One agent's live WebSocket on this replica. Kept small (10,000 of them per replica): identity,
/// a send lock, a few numbers about the desired state; no receive buffer while idle.
/// </summary>
public sealed class AgentSession(WebSocket socket, AgentIdentity agent, CancellationToken requestAborted) : IDisposable
{
    private static readonly TimeSpan SendTimeout = TimeSpan.FromSeconds(10);
    private readonly SemaphoreSlim _send = new(1, 1);
    private readonly CancellationTokenSource _ending = CancellationTokenSource.CreateLinkedTokenSource(requestAborted);
    private int _closing;

    public Guid Id { get; } = ServiceDefaults.Data.NewId.Next();
    public AgentIdentity Agent { get; } = agent;
    public WebSocket Socket { get; } = socket;
    /// <summary>Cancelled when the session must end (request aborted, or closed from here).</summary>
    public CancellationToken Ending => _ending.Token;
    public bool Registered { get; set; }

    /// <summary>The newest desired-state version this replica knows of for the worker.</summary>
    public long KnownDesiredVersion;
    /// <summary>The version last sent, and when (Environment.TickCount64).</summary>
    public long SentDesiredVersion = -1;
    public long SentDesiredAt;
    /// <summary>1 while a desired-state push is being prepared, so triggers do not pile up.</summary>
    public int Pushing;

    public async Task SendAsync(byte[] frame, CancellationToken ct = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct, _ending.Token);
        timeout.CancelAfter(SendTimeout);
        await _send.WaitAsync(timeout.Token);
        try
        {
            await Socket.SendAsync(frame, WebSocketMessageType.Text, true, timeout.Token);
        }
        finally
        {
            _send.Release();
        }
    }

    /// <summary>
    /// Ends the session from the server side: a CONNECTION_ACK with the error code tells the agent why
    /// (TOKEN_REVOKED, WORKER_INACTIVE…), then the close handshake; the session is aborted if the agent
    /// does not answer it.
    /// </summary>
    public Task CloseAsync(string code, string message, WebSocketCloseStatus status = WebSocketCloseStatus.PolicyViolation) =>
        EndAsync(FrameCodec.Encode(FrameTypes.ConnectionAck,
            new ConnectionAckData("error", Agent.WorkerId, ControllerInfo.Id, ControllerInfo.Version, new AckError(code, message))),
            status, code);

    /// <summary>A newer session of the same worker took over (the agent reconnected; this socket is likely half-open).</summary>
    public Task ReplaceAsync() => EndNormallyAsync("replaced by a newer session");

    public Task EndNormallyAsync(string description) => EndAsync(null, WebSocketCloseStatus.NormalClosure, description);

    private async Task EndAsync(byte[]? lastFrame, WebSocketCloseStatus status, string description)
    {
        if (Interlocked.Exchange(ref _closing, 1) == 1) return;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_ending.Token);
            timeout.CancelAfter(SendTimeout);
            await _send.WaitAsync(timeout.Token);
            try
            {
                if (lastFrame is not null) await Socket.SendAsync(lastFrame, WebSocketMessageType.Text, true, timeout.Token);
                await Socket.CloseOutputAsync(status, description, timeout.Token);
            }
            finally
            {
                _send.Release();
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or ObjectDisposedException || Socket.State != WebSocketState.Open)
        {
            // Already gone: nothing left to tell it.
        }
        finally
        {
            // The agent answers the close and the receive loop ends; if it does not, give up on it.
            try { _ending.CancelAfter(TimeSpan.FromSeconds(5)); } catch (ObjectDisposedException) { }
        }
    }

    public void Dispose()
    {
        _ending.Dispose();
        _send.Dispose();
    }
}

/// <summary>What CONNECTION_ACK says about this controller.</summary>
public static class ControllerInfo
{
    public static readonly string Id = $"inventory-{Environment.MachineName.ToLowerInvariant()}-{Environment.ProcessId}";
    public static readonly string Version = typeof(ControllerInfo).Assembly.GetName().Version?.ToString(3) ?? "1.0.0";
}
