using System.Text.Json;
using Aetherium.Contracts;
using Aetherium.Contracts.Agent;
using Aetherium.Inventory.DesiredState;
using Aetherium.Inventory.Persistence;
using Aetherium.Inventory.Telemetry;
using Aetherium.Inventory.Workers;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Aetherium.Inventory.Agents;

/// <summary>An agent step that could not be taken: an ack error code, or field errors of a bad NODE_REGISTER.</summary>
public sealed record AgentRefusal(string Code, string Message, Dictionary<string, string[]>? Errors = null);

/// <summary>
/// What an agent's arrival, registration and departure change on its worker (DESIGN §5): pending →
/// installing when an agent connects, → active when it registers (an offline worker returns to what it
/// was); a goodbye changes nothing (the offline timeout decides). Shared by the WebSocket and the HTTP fallback.
/// </summary>
public sealed class AgentLifecycle(IServiceScopeFactory scopes, TelemetryBuffer buffer, IOptions<InventoryOptions> options, TimeProvider clock, ILogger<AgentLifecycle> log)
{
    public const string InvalidRegistration = "INVALID_REGISTRATION";

    /// <summary>A session starts: remember it on the worker, pending → installing.</summary>
    public async Task<AgentRefusal?> OpenSessionAsync(AgentIdentity agent, Guid? sessionId, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<InventoryDbContext>();
        return await db.RetryOnConflictAsync(async () =>
        {
            var w = await db.Workers.FirstOrDefaultAsync(x => x.Id == agent.WorkerId, ct);
            if (Refuse(w) is { } refusal) return refusal;
            var now = clock.GetUtcNow();
            if (sessionId is not null) w!.SessionId = sessionId;
            w!.TokenLastUsedAt = now;
            await TokenUse.RecordAsync(db, agent.TokenId, agent.WorkerId, agent.From, now, ct);
            if (w.Status == WorkerStatus.Pending)
            {
                var old = w.MoveTo(WorkerStatus.Installing, "agent connected", now);
                db.Publish(new WorkerStatusChanged(w.ToSnapshot(), old, w.Status, w.StatusReason, now));
            }
            await db.SaveChangesAsync(ct);
            buffer.ForgetVms(agent.WorkerId);
            return null;
        });
    }

    /// <summary>NODE_REGISTER: store the machine's facts, make the worker active, answer with the intervals and the desired set.</summary>
    public async Task<(RegisterAckData? Ack, AgentRefusal? Refusal)> RegisterAsync(AgentIdentity agent, NodeRegisterData? data, Guid? sessionId, CancellationToken ct)
    {
        if (Validate(data) is { } invalid) return (null, invalid);
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<InventoryDbContext>();
        var o = options.Value;
        return await db.RetryOnConflictAsync<(RegisterAckData?, AgentRefusal?)>(async () =>
        {
            var w = await db.Workers.Include(x => x.Desired).FirstOrDefaultAsync(x => x.Id == agent.WorkerId, ct);
            if (Refuse(w) is { } refusal) return (null, refusal);
            var now = clock.GetUtcNow();
            var firstTime = w!.RegisteredAt is null;
            // The HTTP fallback has no session: its register is the "connection" (a WebSocket's was recorded when it opened).
            if (sessionId is null) await TokenUse.RecordAsync(db, agent.TokenId, agent.WorkerId, agent.From, now, ct);
            var before = Facts(w);
            Apply(w, data!, now);
            if (sessionId is not null) w.SessionId = sessionId;
            var capacityChanged = Facts(w) != before;

            if (w.Status == WorkerStatus.Pending)
            {
                var installing = w.MoveTo(WorkerStatus.Installing, "agent registering", now);
                db.Publish(new WorkerStatusChanged(w.ToSnapshot(), installing, w.Status, w.StatusReason, now));
            }
            var statusBefore = w.Status;
            if (w.Status is WorkerStatus.Installing or WorkerStatus.Offline)
                w.MoveTo(w.StatusBeforeOffline ?? WorkerStatus.Active, "agent registered", now);
            else
                w.Touch(now);
            db.Publish(new WorkerRegistered(w.ToSnapshot(), now));
            if (w.Status != statusBefore)
                db.Publish(new WorkerStatusChanged(w.ToSnapshot(), statusBefore, w.Status, w.StatusReason, now));
            else if (capacityChanged && !firstTime)
                db.Publish(new WorkerCapacityChanged(w.ToSnapshot(), now));
            await db.SaveChangesAsync(ct);
            buffer.ForgetVms(agent.WorkerId);

            var desired = w.Desired?.ToData() ?? WorkerDesiredState.Empty;
            return (new RegisterAckData("success", w.Id, (int)o.HeartbeatInterval.TotalMilliseconds, (int)o.MetricsInterval.TotalMilliseconds, desired), null);
        });
    }

    /// <summary>
    /// NODE_GOING_AWAY / goodbye: the agent stops on purpose (SIGTERM, a restart, the machine rebooting). That is
    /// no failure: the worker stays as it is and the offline timeout decides, as for any silent agent, so an
    /// agent that comes back within it finds its VMs where they were (Nomad does not mark a client down on
    /// shutdown either). Marking it offline here moved every VM of a fleet that stopped before the services.
    /// </summary>
    public void GoingAway(AgentIdentity agent) =>
        log.LogInformation("Worker {WorkerId}'s agent is going away; offline only if it is not back within {Timeout}", agent.WorkerId, options.Value.OfflineTimeout);

    /// <summary>The session ended: forget it on the worker unless a newer one already took its place.</summary>
    public async Task CloseSessionAsync(Guid workerId, Guid sessionId, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<InventoryDbContext>();
        await db.Workers.Where(w => w.Id == workerId && w.SessionId == sessionId)
            .ExecuteUpdateAsync(s => s.SetProperty(w => w.SessionId, (Guid?)null), ct);
    }

    public async Task<DesiredStateData> DesiredAsync(Guid workerId, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<InventoryDbContext>();
        var desired = await db.DesiredStates.AsNoTracking().FirstOrDefaultAsync(d => d.WorkerId == workerId, ct);
        return desired?.ToData() ?? WorkerDesiredState.Empty;
    }

    private static AgentRefusal? Refuse(Worker? w) => w switch
    {
        null => new AgentRefusal(AckErrorCodes.WorkerNotFound, "No such worker."),
        { DeletedAt: not null } => new AgentRefusal(AckErrorCodes.TokenRevoked, "The worker was deleted; its tokens are revoked."),
        { Status: WorkerStatus.Maintenance } => new AgentRefusal(AckErrorCodes.WorkerInactive, "The worker is in maintenance; its owner must activate it first."),
        _ => null,
    };

    /// <summary>What the scheduler places on, compared before and after a re-registration.</summary>
    private static string Facts(Worker w) => JsonSerializer.Serialize(new
    {
        w.Hostname, w.Address, w.CpuCores, w.MemoryMb, w.DiskGb, Gpus = w.Gpus.Select(g => new { g.DeviceId, g.Model, g.MemoryTotalMb }),
        w.Runtimes, w.SupportedImages,
    });

    private static void Apply(Worker w, NodeRegisterData d, DateTimeOffset now)
    {
        w.Hostname = d.Hostname.Trim();
        w.IpAddress = d.IpAddress.Trim();
        w.PublicIpAddress = string.IsNullOrWhiteSpace(d.PublicIpAddress) ? null : d.PublicIpAddress.Trim();
        w.Os = d.Os;
        w.CpuCores = d.CpuCores;
        w.CpuModel = d.CpuModel;
        w.MemoryMb = d.MemoryMb;
        w.DiskGb = d.DiskGb;
        w.Gpus = (d.Gpus ?? []).ToList();
        w.AgentVersion = d.AgentVersion;
        w.Runtimes = (d.Runtimes ?? []).Distinct().ToList();
        w.DefaultRuntime = d.Runtime;
        w.SupportedImages = d.SupportedImages is { Count: > 0 } images ? images.Distinct().ToList() : null;
        w.UptimeSeconds = Math.Max(0, d.UptimeSeconds);
        w.RegisteredAt ??= now;
        w.StartedAt = now;
        // Registering is a sign of life: the offline timeout counts from here until the first heartbeat.
        w.LastHeartbeatAt = now;
    }

    private static AgentRefusal? Validate(NodeRegisterData? d)
    {
        var v = new FieldErrors();
        if (d is null)
        {
            v.Require(false, "data", "NODE_REGISTER needs its data");
            return Refusal(v);
        }
        v.Require(d.Hostname is { Length: > 0 and <= 255 } && !string.IsNullOrWhiteSpace(d.Hostname), "hostname", "is required (at most 255 characters)");
        v.Require(d.IpAddress is { Length: > 0 and <= 64 }, "ip_address", "is required (at most 64 characters)");
        v.Require(d.PublicIpAddress is null || d.PublicIpAddress.Length <= 64, "public_ip_address", "at most 64 characters");
        v.Require(d.Os is null || d.Os.Length <= 200, "os", "at most 200 characters");
        v.Require(d.CpuModel is null || d.CpuModel.Length <= 200, "cpu_model", "at most 200 characters");
        v.Require(d.AgentVersion is null || d.AgentVersion.Length <= 50, "agent_version", "at most 50 characters");
        v.Require(d.CpuCores is >= 1 and <= 100_000, "cpu_cores", "must be between 1 and 100000");
        v.Require(d.MemoryMb is >= 0 and <= 1L << 40, "memory_mb", "must be between 0 and 2^40");
        v.Require(d.DiskGb is >= 0 and <= 1L << 40, "disk_gb", "must be between 0 and 2^40");
        v.Require(d.Gpus is null || (d.Gpus.Count <= 64 && d.Gpus.All(g => g is not null && g.DeviceId is { Length: <= 100 } && g.Model is { Length: <= 200 })),
            "gpus", "at most 64 GPUs, each with a device_id and a model");
        v.Require(d.Runtimes is null || (d.Runtimes.Count <= 20 && d.Runtimes.All(r => r is { Length: > 0 and <= 50 })), "runtimes", "at most 20 names of up to 50 characters");
        v.Require(d.Runtime is null || d.Runtime.Length <= 50, "runtime", "at most 50 characters");
        v.Require(d.SupportedImages is null || (d.SupportedImages.Count <= 1000 && d.SupportedImages.All(i => i is { Length: > 0 and <= 200 })),
            "supported_images", "at most 1000 image ids of up to 200 characters");
        return v.Failed ? Refusal(v) : null;
    }

    private static AgentRefusal Refusal(FieldErrors v) =>
        new(InvalidRegistration, "NODE_REGISTER has invalid fields.", v.ToDictionary());

    /// <summary>Field errors that travel both as a 400 ValidationProblem (HTTP) and inside REGISTER_ACK (WebSocket).</summary>
    private sealed class FieldErrors
    {
        private readonly Dictionary<string, List<string>> _errors = [];

        public bool Failed => _errors.Count > 0;

        public void Require(bool ok, string field, string message)
        {
            if (ok) return;
            if (!_errors.TryGetValue(field, out var list)) _errors[field] = list = [];
            list.Add(message);
        }

        public Dictionary<string, string[]> ToDictionary() => _errors.ToDictionary(e => e.Key, e => e.Value.ToArray());
    }
}
