using System.Net.WebSockets;
using Aetherium.Contracts;
using Aetherium.Contracts.Agent;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Aetherium.Inventory.Tests;

/// <summary>
/// A minimal agent for tests, written from the frame records of DESIGN §6: connects to the in-process
/// server's WebSocket, sends frames, and records every frame and the close it receives.
/// </summary>
public sealed class TestAgent : IAsyncDisposable
{
    private readonly WebSocket _socket;
    private readonly List<Frame> _frames = [];
    private readonly SemaphoreSlim _arrived = new(0);
    private readonly SemaphoreSlim _send = new(1, 1);
    private readonly Task _reader;
    private readonly TaskCompletionSource<WebSocketCloseStatus?> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CancellationTokenSource? _heartbeating;

    private TestAgent(WebSocket socket)
    {
        _socket = socket;
        _reader = Task.Run(ReadAsync);
    }

    public static async Task<TestAgent> ConnectAsync<T>(WebApplicationFactory<T> factory, string? token, bool inQuery = false) where T : class
    {
        var client = factory.Server.CreateWebSocketClient();
        if (token is not null && !inQuery) client.ConfigureRequest = r => r.Headers.Authorization = "Bearer " + token;
        var path = "api/v1/agent/connect" + (inQuery && token is not null ? "?access_token=" + Uri.EscapeDataString(token) : "");
        var uri = new UriBuilder(new Uri(factory.Server.BaseAddress, path)) { Scheme = "ws" }.Uri;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        return new TestAgent(await client.ConnectAsync(uri, timeout.Token));
    }

    /// <summary>Connects, expects a successful CONNECTION_ACK, registers; returns the REGISTER_ACK.</summary>
    public static async Task<(TestAgent Agent, RegisterAckData Ack)> JoinAsync<T>(WebApplicationFactory<T> factory, string token, NodeRegisterData? facts = null)
        where T : class
    {
        var agent = await ConnectAsync(factory, token);
        var ack = await agent.ConnectionAckAsync();
        if (ack.Status != "success") throw new InvalidOperationException($"connection refused: {ack.Error?.Code} {ack.Error?.Message}");
        return (agent, await agent.RegisterAsync(facts ?? Facts()));
    }

    public static NodeRegisterData Facts(string hostname = "node1.example.com", int cpuCores = 16, long memoryMb = 32768) => new(
        hostname, "192.168.1.10", "203.0.113.10", "Ubuntu 24.04 LTS", cpuCores, "AMD EPYC 7742", memoryMb, 500,
        [new GpuInfo("GPU-0", "NVIDIA A100", 81920, 81920, 0, 35)], "1.0.0", ["process", "simulated"], 3600, ["ubuntu-24.04"], "process");

    public IReadOnlyList<Frame> Frames
    {
        get { lock (_frames) return _frames.ToList(); }
    }

    public Task<WebSocketCloseStatus?> Closed => _closed.Task;

    public async Task<ConnectionAckData> ConnectionAckAsync() =>
        (await WaitForAsync(FrameTypes.ConnectionAck)).DataAs<ConnectionAckData>()!;

    public async Task<RegisterAckData> RegisterAsync(NodeRegisterData facts)
    {
        var before = Frames.Count(f => f.Type == FrameTypes.RegisterAck);
        await SendAsync(FrameTypes.NodeRegister, facts);
        var frame = await WaitForAsync(FrameTypes.RegisterAck, skip: before);
        return frame.DataAs<RegisterAckData>()!;
    }

    public Task HeartbeatAsync(long appliedVersion = 0, IReadOnlyList<VmActualState>? vms = null, double cpu = 25, double memory = 40) =>
        SendAsync(FrameTypes.TelemetryHeartbeat, new HeartbeatData(cpu, memory, 10, 3600, vms ?? [], appliedVersion));

    /// <summary>Heartbeats every <paramref name="interval"/> until <see cref="StopHeartbeats"/>; <paramref name="next"/> builds each one.</summary>
    public void StartHeartbeats(TimeSpan interval, Func<HeartbeatData>? next = null)
    {
        StopHeartbeats();
        var cts = _heartbeating = new CancellationTokenSource();
        _ = Task.Run(async () =>
        {
            while (!cts.IsCancellationRequested)
            {
                try
                {
                    await SendAsync(FrameTypes.TelemetryHeartbeat, next?.Invoke() ?? new HeartbeatData(25, 40, 10, 3600, []));
                    await Task.Delay(interval, cts.Token);
                }
                catch (Exception) { return; }
            }
        });
    }

    public void StopHeartbeats() => _heartbeating?.Cancel();

    public async Task SendAsync<TData>(string type, TData data)
    {
        await _send.WaitAsync();
        try
        {
            await _socket.SendAsync(Frame.Create(type, data).ToUtf8(), WebSocketMessageType.Text, true, CancellationToken.None);
        }
        finally
        {
            _send.Release();
        }
    }

    public async Task SendRawAsync(string text)
    {
        await _send.WaitAsync();
        try
        {
            await _socket.SendAsync(System.Text.Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);
        }
        finally
        {
            _send.Release();
        }
    }

    /// <summary>The first frame of <paramref name="type"/> (after <paramref name="skip"/> of them) that matches.</summary>
    public async Task<Frame> WaitForAsync(string type, Func<Frame, bool>? match = null, TimeSpan? timeout = null, int skip = 0)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (true)
        {
            var found = Frames.Where(f => f.Type == type).Skip(skip).FirstOrDefault(f => match?.Invoke(f) ?? true);
            if (found is not null) return found;
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
                throw new TimeoutException($"No matching {type} frame; received: {string.Join(", ", Frames.Select(f => f.Type))}; closed: {_closed.Task.IsCompleted}");
            await _arrived.WaitAsync(left < TimeSpan.FromMilliseconds(200) ? left : TimeSpan.FromMilliseconds(200));
        }
    }

    public async Task<WebSocketCloseStatus?> WaitClosedAsync(TimeSpan? timeout = null)
    {
        var done = await Task.WhenAny(_closed.Task, Task.Delay(timeout ?? TimeSpan.FromSeconds(15)));
        if (done != _closed.Task) throw new TimeoutException("The server did not close the session.");
        return await _closed.Task;
    }

    private async Task ReadAsync()
    {
        var buffer = new byte[1 << 16];
        try
        {
            while (true)
            {
                using var message = new MemoryStream();
                WebSocketReceiveResult r;
                do
                {
                    r = await _socket.ReceiveAsync(buffer, CancellationToken.None);
                    if (r.MessageType == WebSocketMessageType.Close)
                    {
                        _closed.TrySetResult(r.CloseStatus);
                        if (_socket.State == WebSocketState.CloseReceived)
                            await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "ok", CancellationToken.None);
                        return;
                    }
                    message.Write(buffer, 0, r.Count);
                } while (!r.EndOfMessage);
                var frame = Frame.Parse(message.ToArray());
                if (frame is null) continue;
                lock (_frames) _frames.Add(frame);
                _arrived.Release();
            }
        }
        catch (Exception)
        {
            _closed.TrySetResult(null);
        }
    }

    public async ValueTask DisposeAsync()
    {
        StopHeartbeats();
        try
        {
            if (_socket.State == WebSocketState.Open)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await _send.WaitAsync(timeout.Token);
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "test done", timeout.Token);
            }
            await Task.WhenAny(_reader, Task.Delay(TimeSpan.FromSeconds(5)));
        }
        catch (Exception) { }
        _socket.Dispose();
    }
}
