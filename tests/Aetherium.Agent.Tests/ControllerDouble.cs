using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Aetherium.Contracts.Agent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Aetherium.Agent.Tests;

/// <summary>
/// The controller's side of DESIGN §6 in a small Kestrel app: CONNECTION_ACK, REGISTER_ACK with
/// intervals and a desired set, DESIRED_STATE pushes, the HTTP fallback, and what `simulate` needs
/// of the public API (login, create worker, issue token). It records everything the agents send.
/// </summary>
public sealed class ControllerDouble : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, Worker> _byToken = new();
    private int _connectAttempts;

    private ControllerDouble(WebApplication app) => _app = app;

    public Uri Url { get; private set; } = null!;

    public int HeartbeatIntervalMs { get; set; } = 200;

    public int MetricsIntervalMs { get; set; } = 500;

    /// <summary>When set, the WebSocket endpoint answers this status instead of upgrading (a proxy that refuses upgrades).</summary>
    public int? RefuseWebSocketsWith { get; set; }

    /// <summary>Every connection gets CONNECTION_ACK with this error code.</summary>
    public string? RejectWith { get; set; }

    /// <summary>When false, heartbeats are only counted (a big fleet would make the lists large).</summary>
    public bool KeepHeartbeats { get; set; } = true;

    public int ConnectAttempts => Volatile.Read(ref _connectAttempts);

    public IReadOnlyCollection<Worker> Workers => _byToken.Values.ToList();

    /// <summary>Workers created through POST /api/v1/workers (the simulate command).</summary>
    public ConcurrentQueue<(string Name, string? Zone, Dictionary<string, string>? Labels)> CreatedWorkers { get; } = new();

    public const string AdminUser = "admin", AdminPassword = "admin-password", AdminToken = "admin-access-token";

    public Worker AddWorker(string? token = null)
    {
        var worker = new Worker(Guid.NewGuid(), token ?? "worker-token-" + Guid.NewGuid().ToString("N"));
        _byToken[worker.Token] = worker;
        return worker;
    }

    public Worker? ByToken(string token) => _byToken.GetValueOrDefault(token);

    public static async Task<ControllerDouble> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.WebHost.ConfigureKestrel(o => o.Limits.MaxConcurrentConnections = null);
        var app = builder.Build();
        var controller = new ControllerDouble(app);
        controller.Map(app);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        controller.Url = new Uri(address);
        return controller;
    }

    private void Map(WebApplication app)
    {
        app.UseWebSockets();
        app.Map("/api/v1/agent/connect", ConnectAsync);
        app.MapPost("/api/v1/agent/register", async (HttpContext ctx) =>
        {
            if (Authorize(ctx) is not { } worker) return Refusal();
            var data = await ctx.Request.ReadFromJsonAsync<NodeRegisterData>(AgentJson.Options);
            worker.Record(data!, "http", null);
            return Results.Json(worker.Ack(HeartbeatIntervalMs, MetricsIntervalMs), AgentJson.Options);
        });
        app.MapPost("/api/v1/agent/heartbeat", async (HttpContext ctx) =>
        {
            if (Authorize(ctx) is not { } worker) return Refusal();
            worker.Record(await ctx.Request.ReadFromJsonAsync<HeartbeatData>(AgentJson.Options), "http", KeepHeartbeats);
            return Results.Json(new HeartbeatAckData("success", worker.Desired), AgentJson.Options);
        });
        app.MapPost("/api/v1/agent/metrics", async (HttpContext ctx) =>
        {
            if (Authorize(ctx) is not { } worker) return Refusal();
            worker.Record(await ctx.Request.ReadFromJsonAsync<MetricsData>(AgentJson.Options));
            return Results.Accepted();
        });
        app.MapPost("/api/v1/agent/goodbye", (HttpContext ctx) =>
        {
            if (Authorize(ctx) is not { } worker) return Refusal();
            Interlocked.Increment(ref worker.GoingAwayCount);
            return Results.NoContent();
        });

        app.MapPost("/api/v1/auth/login", async (HttpContext ctx) =>
        {
            using var body = await JsonDocument.ParseAsync(ctx.Request.Body);
            return body.RootElement.GetProperty("username").GetString() == AdminUser && body.RootElement.GetProperty("password").GetString() == AdminPassword
                ? Results.Json(new { access_token = AdminToken, refresh_token = "r", token_type = "Bearer", expires_in = 3600 })
                : Results.Problem(statusCode: 401, title: "Invalid credentials");
        });
        app.MapPost("/api/v1/workers", async (HttpContext ctx) =>
        {
            if (ctx.Request.Headers.Authorization != "Bearer " + AdminToken) return Results.Problem(statusCode: 401);
            using var body = await JsonDocument.ParseAsync(ctx.Request.Body);
            var name = body.RootElement.GetProperty("name").GetString()!;
            var zone = body.RootElement.TryGetProperty("zone", out var z) ? z.GetString() : null;
            var labels = body.RootElement.TryGetProperty("labels", out var l) ? l.Deserialize<Dictionary<string, string>>() : null;
            CreatedWorkers.Enqueue((name, zone, labels));
            var worker = AddWorker();
            worker.Name = name;
            return Results.Json(new { id = worker.Id, name, status = "pending" }, statusCode: 201);
        });
        app.MapPost("/api/v1/workers/{id:guid}/token", (Guid id, HttpContext ctx) =>
        {
            if (ctx.Request.Headers.Authorization != "Bearer " + AdminToken) return Results.Problem(statusCode: 401);
            var worker = _byToken.Values.FirstOrDefault(w => w.Id == id);
            return worker is null
                ? Results.Problem(statusCode: 404)
                : Results.Json(new { token = worker.Token, expires_at = DateTimeOffset.UtcNow.AddYears(1), install_script = "#!/bin/sh\n" });
        });
    }

    private Worker? Authorize(HttpContext ctx)
    {
        var header = ctx.Request.Headers.Authorization.ToString();
        if (RejectWith is not null || !header.StartsWith("Bearer ", StringComparison.Ordinal)) return null;
        return _byToken.GetValueOrDefault(header["Bearer ".Length..]);
    }

    private IResult Refusal() => Results.Problem(statusCode: 401, title: "Refused",
        extensions: new Dictionary<string, object?> { ["code"] = RejectWith ?? AckErrorCodes.InvalidToken });

    private async Task ConnectAsync(HttpContext ctx)
    {
        Interlocked.Increment(ref _connectAttempts);
        if (RefuseWebSocketsWith is { } status)
        {
            ctx.Response.StatusCode = status;
            return;
        }
        if (!ctx.WebSockets.IsWebSocketRequest)
        {
            ctx.Response.StatusCode = 400;
            return;
        }
        var worker = Authorize(ctx);
        using var ws = await ctx.WebSockets.AcceptWebSocketAsync();
        if (worker is null)
        {
            await SendAsync(ws, Frame.Create(FrameTypes.ConnectionAck, new ConnectionAckData("error", null, "double", "test",
                new AckError(RejectWith ?? AckErrorCodes.InvalidToken, "refused by the controller double"))), CancellationToken.None);
            await ws.CloseAsync(WebSocketCloseStatus.PolicyViolation, RejectWith ?? AckErrorCodes.InvalidToken, CancellationToken.None);
            return;
        }
        Interlocked.Increment(ref worker.ConnectionCount);
        var session = new Session(ws);
        await session.SendAsync(Frame.Create(FrameTypes.ConnectionAck, new ConnectionAckData("success", worker.Id, "double", "test")));
        try
        {
            var buffer = new byte[64 * 1024];
            while (true)
            {
                var (frame, raw) = await ReceiveAsync(ws, buffer, ctx.RequestAborted);
                if (frame is null) break;
                switch (frame.Type)
                {
                    case FrameTypes.NodeRegister:
                        worker.Record(frame.DataAs<NodeRegisterData>()!, "websocket", raw);
                        worker.Live = session;
                        await session.SendAsync(Frame.Create(FrameTypes.RegisterAck, worker.Ack(HeartbeatIntervalMs, MetricsIntervalMs)));
                        break;
                    case FrameTypes.TelemetryHeartbeat:
                        worker.Record(frame.DataAs<HeartbeatData>(), "websocket", KeepHeartbeats);
                        break;
                    case FrameTypes.TelemetryMetrics:
                        worker.Record(frame.DataAs<MetricsData>());
                        break;
                    case FrameTypes.NodeGoingAway:
                        Interlocked.Increment(ref worker.GoingAwayCount);
                        break;
                }
            }
            if (ws.State == WebSocketState.CloseReceived)
                await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
        {
        }
        finally
        {
            if (worker.Live == session) worker.Live = null;
        }
    }

    private static async Task<(Frame?, string?)> ReceiveAsync(WebSocket ws, byte[] buffer, CancellationToken ct)
    {
        var count = 0;
        while (true)
        {
            var result = await ws.ReceiveAsync(buffer.AsMemory(count), ct);
            if (result.MessageType == WebSocketMessageType.Close) return (null, null);
            count += result.Count;
            if (!result.EndOfMessage) continue;
            return (Frame.Parse(buffer.AsSpan(0, count)), Encoding.UTF8.GetString(buffer, 0, count));
        }
    }

    private static Task SendAsync(WebSocket ws, Frame frame, CancellationToken ct) =>
        ws.SendAsync(frame.ToUtf8(), WebSocketMessageType.Text, true, ct);

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        await _app.StopAsync(timeout.Token);
        await _app.DisposeAsync();
    }

    /// <summary>One live WebSocket; sends are serialised (the double pushes from test code too).</summary>
    public sealed class Session(WebSocket ws)
    {
        private readonly SemaphoreSlim _send = new(1, 1);

        public async Task SendAsync(Frame frame)
        {
            await _send.WaitAsync();
            try
            {
                await ws.SendAsync(frame.ToUtf8(), WebSocketMessageType.Text, true, CancellationToken.None);
            }
            finally
            {
                _send.Release();
            }
        }

        public void Abort() => ws.Abort();
    }

    public sealed record ReceivedHeartbeat(DateTime At, HeartbeatData Data, string Transport);

    public sealed class Worker(Guid id, string token)
    {
        private readonly Lock _gate = new();
        private readonly List<(NodeRegisterData Data, string Transport, string? Raw)> _registrations = [];
        private readonly List<ReceivedHeartbeat> _heartbeats = [];
        private readonly List<MetricsData> _metrics = [];
        private int _heartbeatCount;
        internal int ConnectionCount;
        internal int GoingAwayCount;

        public Guid Id => id;
        public string Token => token;
        public string? Name { get; set; }
        public DesiredStateData Desired { get; set; } = new(0, []);
        public Session? Live { get; internal set; }

        public int Connections => Volatile.Read(ref ConnectionCount);
        public int GoingAway => Volatile.Read(ref GoingAwayCount);
        public int HeartbeatCount => Volatile.Read(ref _heartbeatCount);

        public IReadOnlyList<(NodeRegisterData Data, string Transport, string? Raw)> Registrations
        {
            get { lock (_gate) return [.. _registrations]; }
        }

        public IReadOnlyList<ReceivedHeartbeat> Heartbeats
        {
            get { lock (_gate) return [.. _heartbeats]; }
        }

        public IReadOnlyList<MetricsData> Metrics
        {
            get { lock (_gate) return [.. _metrics]; }
        }

        public ReceivedHeartbeat? LastHeartbeat
        {
            get { lock (_gate) return _heartbeats.LastOrDefault(); }
        }

        internal RegisterAckData Ack(int heartbeatMs, int metricsMs) => new("success", id, heartbeatMs, metricsMs, Desired);

        internal void Record(NodeRegisterData data, string transport, string? raw)
        {
            lock (_gate) _registrations.Add((data, transport, raw));
        }

        internal void Record(HeartbeatData? data, string transport, bool keep)
        {
            Interlocked.Increment(ref _heartbeatCount);
            if (data is null || !keep) return;
            lock (_gate) _heartbeats.Add(new ReceivedHeartbeat(DateTime.UtcNow, data, transport));
        }

        internal void Record(MetricsData? data)
        {
            if (data is null) return;
            lock (_gate) _metrics.Add(data);
        }

        /// <summary>Sets the desired state and pushes it as DESIRED_STATE on the live session, if there is one.</summary>
        public async Task PushAsync(DesiredStateData desired)
        {
            Desired = desired;
            if (Live is { } session) await session.SendAsync(Frame.Create(FrameTypes.DesiredState, desired));
        }

        /// <summary>Drops the connection abruptly, as a crashing controller or a broken network would.</summary>
        public void Drop() => Live?.Abort();
    }
}
