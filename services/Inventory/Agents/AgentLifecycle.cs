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

    private static AgentRefusal? Validate(NodeRegisterData? d) =>
        FrameRules.Check(d) is { Failed: true } errors ? Invalid(errors.ToDictionary()) : null;

    /// <summary>REGISTER_ACK's refusal of a NODE_REGISTER whose fields break the protocol's rules.</summary>
    public static AgentRefusal Invalid(Dictionary<string, string[]> errors) =>
        new(InvalidRegistration, "NODE_REGISTER has invalid fields.", errors);
}
