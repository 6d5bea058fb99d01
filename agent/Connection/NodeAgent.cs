using System.Reflection;
using Aetherium.Agent.Facts;
using Aetherium.Agent.Reconcile;
using Aetherium.Agent.Runtime;
using Aetherium.Contracts.Agent;
using Microsoft.Extensions.Logging;

namespace Aetherium.Agent.Connection;

public sealed class AgentOptions
{
    public required string Token { get; init; }

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Used until REGISTER_ACK gives the controller's intervals (DESIGN §11 default).</summary>
    public TimeSpan DefaultHeartbeatInterval { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan DefaultMetricsInterval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Load generation only (simulate --heartbeat-interval): beats at this pace whatever REGISTER_ACK says.</summary>
    public TimeSpan? HeartbeatIntervalOverride { get; init; }

    /// <summary>Image ids this agent can run (NODE_REGISTER supported_images); null = any.</summary>
    public IReadOnlyList<string>? SupportedImages { get; init; }
}

public enum AgentStatus { Starting, Connecting, Registered, Rejected, Disconnected, Stopped }

/// <summary>The outcome of one connection: whether it got as far as registering, and the refusal code if refused.</summary>
public readonly record struct SessionEnd(bool Registered, string? Rejection = null);

/// <summary>
/// One node agent: it connects to the controller (WebSocket, or HTTP when the upgrade is refused),
/// registers, heartbeats, takes desired states and has the reconciler apply them; on losing the
/// controller it reconnects with backoff; on stop it says goodbye and stops its VMs. Everything is
/// asynchronous: an agent holds no thread of its own, so a fleet of them fits one process.
/// </summary>
public sealed class NodeAgent
{
    public static readonly string Version =
        typeof(NodeAgent).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    /// <summary>Refusals that retrying soon cannot fix: retry only at the longest backoff.</summary>
    public static readonly IReadOnlySet<string> PermanentRefusals = new HashSet<string>
    {
        AckErrorCodes.TokenRevoked, AckErrorCodes.TokenExpired, AckErrorCodes.InvalidToken, AckErrorCodes.WorkerNotFound,
    };

    private readonly Signal _changed = new();
    private int _registrations;

    public NodeAgent(AgentOptions options, IMachineFacts facts, IRuntimeDriver driver, ControllerClient controller, ILogger logger)
    {
        Options = options;
        Facts = facts;
        Controller = controller;
        Logger = logger;
        Reconciler = new Reconciler(driver, logger);
        driver.StateChanged += _changed.Set;
        Reconciler.Applied += _changed.Set;
    }

    internal AgentOptions Options { get; }
    internal IMachineFacts Facts { get; }
    internal ControllerClient Controller { get; }
    internal ILogger Logger { get; }

    /// <summary>Set when a VM's state or the applied desired version changed: worth an early heartbeat.</summary>
    internal Signal Changed => _changed;

    public Reconciler Reconciler { get; }

    public AgentStatus Status { get; internal set; } = AgentStatus.Starting;

    public Guid? WorkerId { get; internal set; }

    /// <summary>"websocket" or "http" while registered.</summary>
    public string? Transport { get; internal set; }

    /// <summary>The last refusal code from the controller (CONNECTION_ACK error or ProblemDetails code).</summary>
    public string? LastRefusal { get; internal set; }

    public int Registrations => Volatile.Read(ref _registrations);

    /// <summary>The type and size of the last frame this agent sent over the WebSocket, to name it when the controller refuses it.</summary>
    internal (string Type, int Bytes) LastFrameSent { get; set; }

    public async Task RunAsync(CancellationToken stop)
    {
        using var reconciling = new CancellationTokenSource();
        var reconciler = Reconciler.RunAsync(reconciling.Token);
        try
        {
            await ConnectLoopAsync(stop);
        }
        finally
        {
            Status = AgentStatus.Stopped;
            await reconciling.CancelAsync();
            await reconciler;
            await Reconciler.StopAllAsync(CancellationToken.None);
        }
    }

    private async Task ConnectLoopAsync(CancellationToken stop)
    {
        var attempt = 0;
        while (!stop.IsCancellationRequested)
        {
            Status = AgentStatus.Connecting;
            SessionEnd end;
            try
            {
                end = await WebSocketTransport.RunAsync(this, stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                Logger.LogWarning("Controller {Controller} unreachable: {Error}", Controller.BaseAddress, Describe(e));
                end = new SessionEnd(false);
            }
            if (stop.IsCancellationRequested) return;
            Transport = null;
            if (end.Registered) attempt = 0;
            TimeSpan delay;
            if (end.Rejection == AckErrorCodes.FrameTooLarge)
            {
                // This agent's fault, not the controller's: reconnecting at once would send the same frame again.
                Status = AgentStatus.Disconnected;
                delay = Backoff.Rejected(Random.Shared.NextDouble());
                Logger.LogError("The controller refused a frame as too large ({Code}); the last one sent was {Type} of {Bytes} bytes. Reconnecting in {Delay:0} s",
                    AckErrorCodes.FrameTooLarge, LastFrameSent.Type ?? "(none)", LastFrameSent.Bytes, delay.TotalSeconds);
            }
            else if (end.Rejection is { } code && PermanentRefusals.Contains(code))
            {
                Status = AgentStatus.Rejected;
                delay = Backoff.Rejected(Random.Shared.NextDouble());
                Logger.LogError(
                    "The controller refuses this agent ({Code}). Retrying every {Delay:0} s; if the token was revoked or has expired, " +
                    "issue a new one (POST /api/v1/workers/{{id}}/token) and reinstall the agent", code, delay.TotalSeconds);
            }
            else
            {
                Status = AgentStatus.Disconnected;
                delay = Backoff.Delay(attempt++, Random.Shared.NextDouble());
                Logger.LogInformation("Reconnecting in {Delay:0.0} s", delay.TotalSeconds);
            }
            try
            {
                await Task.Delay(delay, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static string Describe(Exception e) => e.InnerException is null ? e.Message : $"{e.Message} ({e.InnerException.Message})";

    internal void OnRegistered(RegisterAckData ack, string transport)
    {
        WorkerId = ack.WorkerId;
        Transport = transport;
        LastRefusal = null;
        Status = AgentStatus.Registered;
        Interlocked.Increment(ref _registrations);
        // No desired set in the answer means none yet: nothing may run (DESIGN §6).
        var desired = ack.Desired ?? new DesiredStateData(0, []);
        Reconciler.Offer(desired, authoritative: true);
        Logger.LogInformation(
            "Registered as worker {WorkerId} over {Transport}: heartbeat every {Heartbeat} ms, metrics every {Metrics} ms, {Vms} desired VM(s) (version {Version})",
            ack.WorkerId, transport, ack.HeartbeatIntervalMs, ack.MetricsIntervalMs, desired.Vms?.Count ?? 0, desired.Version);
    }

    internal SessionEnd Refused(string code, string? message, bool registered = false)
    {
        LastRefusal = code;
        Logger.LogError("The controller refused the connection: {Code}: {Message}", code, message ?? "(no message)");
        return new SessionEnd(registered, code);
    }

    internal (TimeSpan Heartbeat, TimeSpan Metrics) Intervals(RegisterAckData ack) =>
        (Options.HeartbeatIntervalOverride ?? (ack.HeartbeatIntervalMs > 0 ? TimeSpan.FromMilliseconds(ack.HeartbeatIntervalMs) : Options.DefaultHeartbeatInterval),
         ack.MetricsIntervalMs > 0 ? TimeSpan.FromMilliseconds(ack.MetricsIntervalMs) : Options.DefaultMetricsInterval);

    internal async Task<NodeRegisterData> RegistrationAsync(CancellationToken ct)
    {
        var m = await Facts.DescribeAsync(ct);
        return new NodeRegisterData(m.Hostname, m.IpAddress, m.PublicIpAddress, m.Os, m.CpuCores, m.CpuModel, m.MemoryMb, m.DiskGb,
            m.Gpus, Version, Reconciler.Driver.Capabilities, m.UptimeSeconds, Options.SupportedImages, Reconciler.Driver.Name);
    }

    internal HeartbeatData Heartbeat()
    {
        var usage = Facts.SampleUsage(Reconciler.Driver.Snapshot());
        return new HeartbeatData(usage.CpuPercent, usage.MemoryPercent, usage.DiskPercent, usage.UptimeSeconds,
            Reconciler.Report(), Reconciler.AppliedVersion);
    }

    internal Task<MetricsData> MetricsAsync(CancellationToken ct) => Facts.SampleMetricsAsync(Reconciler.Driver.Snapshot(), ct);

    /// <summary>
    /// Heartbeats and metrics at their intervals until <paramref name="until"/> ends or stop is
    /// requested; a VM state change brings the next heartbeat forward (at most one a second), so the
    /// controller learns of "running" or "failed" without waiting a whole interval.
    /// </summary>
    internal async Task TelemetryLoopAsync(TimeSpan heartbeat, TimeSpan metrics, Func<CancellationToken, Task> sendHeartbeat,
        Func<CancellationToken, Task> sendMetrics, Task until, CancellationToken stop)
    {
        var minimumGap = TimeSpan.FromSeconds(Math.Min(1, heartbeat.TotalSeconds));
        var now = DateTime.UtcNow;
        DateTime lastBeat = DateTime.MinValue, nextBeat = now, nextMetrics = now + metrics;
        while (!stop.IsCancellationRequested && !until.IsCompleted)
        {
            now = DateTime.UtcNow;
            if (now >= nextBeat)
            {
                Changed.Reset();
                await sendHeartbeat(stop);
                lastBeat = now;
                nextBeat = now + heartbeat;
            }
            if (now >= nextMetrics)
            {
                await sendMetrics(stop);
                nextMetrics = now + metrics;
            }
            var wait = (nextBeat < nextMetrics ? nextBeat : nextMetrics) - DateTime.UtcNow;
            using var waiting = CancellationTokenSource.CreateLinkedTokenSource(stop);
            var woke = await Task.WhenAny(Task.Delay(wait > TimeSpan.Zero ? wait : TimeSpan.Zero, waiting.Token), until, Changed.Task);
            await waiting.CancelAsync();
            if (woke == Changed.Task)
            {
                Changed.Reset();
                var early = lastBeat + minimumGap;
                if (early < nextBeat) nextBeat = early;
            }
        }
    }
}
