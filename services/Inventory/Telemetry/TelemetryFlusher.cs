using System.Diagnostics;
using System.Text.Json;
using Aetherium.Contracts;
using Aetherium.Contracts.Agent;
using Aetherium.Inventory.Persistence;
using Aetherium.ServiceDefaults.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace Aetherium.Inventory.Telemetry;

/// <summary>
/// Writes what <see cref="TelemetryBuffer"/> holds every Inventory:FlushInterval, in one transaction:
/// the newest heartbeat of every worker in one UPDATE over unnest arrays, changed VM states (and their
/// VmObserved events, only for a state that really changed in the database), metrics samples, and the
/// return to service of offline workers whose heartbeats resumed. A batch that could not reach the
/// database goes back into the buffer; a record the database refuses is isolated and dropped (see
/// <see cref="FlushOnceAsync"/>); on shutdown the buffer is flushed once more.
/// </summary>
public sealed class TelemetryFlusher(
    TelemetryBuffer buffer,
    IServiceScopeFactory scopes,
    IOptions<InventoryOptions> options,
    InventoryMeters meters,
    TimeProvider clock,
    ILogger<TelemetryFlusher> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.FlushInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
                await FlushOnceAsync(CancellationToken.None);
        }
        catch (OperationCanceledException) { }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        // The server has stopped taking heartbeats by now: what is left is the last state of each worker.
        await FlushOnceAsync(cancellationToken);
    }

    /// <summary>
    /// Writes one batch; returns false (and keeps what was not written) when the database could not be reached.
    /// A batch the database refuses for its data (SQLSTATE class 22 or 23, text it cannot encode) is split in
    /// halves down to single records: the rest is written in this same pass and the bad record is dropped
    /// with a warning naming it, so no record can hold back every worker's telemetry.
    /// </summary>
    public async Task<bool> FlushOnceAsync(CancellationToken ct)
    {
        var batch = buffer.Take();
        if (batch.IsEmpty) return true;
        var started = Stopwatch.GetTimestamp();
        var written = 0;
        var pending = new Stack<TelemetryBuffer.Batch>();
        pending.Push(batch);
        while (pending.TryPop(out var part))
        {
            try
            {
                await WriteAsync(part, ct);
                written += part.Heartbeats.Count;
            }
            catch (Exception ex) when (BatchFailures.IsDataError(ex))
            {
                if (part.Count == 1)
                {
                    Quarantine(part, ex);
                    continue;
                }
                var (first, second) = part.Split();
                pending.Push(second);
                pending.Push(first);
            }
            catch (Exception ex)
            {
                var kept = TelemetryBuffer.Batch.Concat([part, .. pending]);
                buffer.Return(kept);
                log.LogWarning("Telemetry batch of {Heartbeats} heartbeats, {Vms} VM states and {Metrics} metrics not written, kept for the next try: {Error}",
                    kept.Heartbeats.Count, kept.Observations.Count, kept.Metrics.Count, ex.Message);
                return false;
            }
        }
        meters.Flushed(written, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return true;
    }

    private void Quarantine(TelemetryBuffer.Batch record, Exception ex)
    {
        var (kind, worker, vm) = record switch
        {
            { Heartbeats: [var h] } => ("heartbeat", h.Key, (Guid?)null),
            { Observations: [var o] } => ("VM state", o.WorkerId, o.Vm.VmId),
            { Metrics: [var m] } => ("metrics sample", m.WorkerId, null),
            { Applied: [var a] } => ("applied desired version", a.WorkerId, null),
            _ => ("record", Guid.Empty, null),
        };
        log.LogWarning("Dropped a {Kind} of worker {WorkerId} (VM {VmId}) the database refuses; the rest of the batch was written: {Error}",
            kind, worker, vm?.ToString() ?? "-", ex.Message);
    }

    private async Task WriteAsync(TelemetryBuffer.Batch batch, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<InventoryDbContext>();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var conn = (NpgsqlConnection)db.Database.GetDbConnection();
        var ntx = (NpgsqlTransaction)tx.GetDbTransaction();

        // Prepared explicitly (Parse and Describe on their own): a statement auto-prepared in the same round trip as a
        // Bind that PostgreSQL refuses (a poisoned record) left Npgsql without its row description, and the next use of
        // the connection failed with "unexpected backend message DataRow", costing every worker a retry.
        var resumed = await WriteHeartbeatsAsync(conn, ntx, batch.Heartbeats, ct);
        var observed = await WriteVmStatesAsync(conn, ntx, batch.Observations, ct);
        await WriteMetricsAsync(conn, ntx, batch.Metrics, ct);

        foreach (var o in observed)
            db.Publish(new VmObserved(o.VmId, o.WorkerId, o.State, o.Reason, o.DesiredVersion, o.ObservedAt));
        foreach (var a in batch.Applied)
            db.Publish(new WorkerDesiredStateApplied(a.WorkerId, a.Version, a.At));
        if (resumed.Count > 0)
        {
            var now = clock.GetUtcNow();
            foreach (var w in await db.Workers.Where(w => resumed.Contains(w.Id)).ToListAsync(ct))
            {
                var old = w.MoveTo(w.StatusBeforeOffline ?? WorkerStatus.Active, "heartbeats resumed", now);
                db.Publish(new WorkerStatusChanged(w.ToSnapshot(), old, w.Status, w.StatusReason, now));
            }
        }
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
    }

    /// <summary>Returns the offline workers that heartbeated after they were marked offline.</summary>
    private static async Task<List<Guid>> WriteHeartbeatsAsync(NpgsqlConnection conn, NpgsqlTransaction tx,
        List<KeyValuePair<Guid, HeartbeatSample>> heartbeats, CancellationToken ct)
    {
        var resumed = new List<Guid>();
        if (heartbeats.Count == 0) return resumed;
        var n = heartbeats.Count;
        var ids = new Guid[n];
        var cpu = new double[n];
        var mem = new double[n];
        var disk = new double[n];
        var uptime = new long[n];
        var applied = new long[n];
        var at = new DateTime[n];
        // Sorted, so two writers touching the same rows lock them in the same order.
        heartbeats.Sort((a, b) => a.Key.CompareTo(b.Key));
        for (var i = 0; i < n; i++)
        {
            var (id, s) = heartbeats[i];
            (ids[i], cpu[i], mem[i], disk[i], uptime[i], applied[i], at[i]) = (id, s.Cpu, s.Memory, s.Disk, s.UptimeSeconds, s.AppliedDesiredVersion, s.At.UtcDateTime);
        }
        await using var cmd = new NpgsqlCommand("""
            WITH input AS (
                SELECT * FROM unnest(@ids, @cpu, @mem, @disk, @uptime, @applied, @at) AS i(id, cpu, mem, disk, uptime, applied, at)
            ), updated AS (
                UPDATE workers w SET cpu_usage_percent = i.cpu, memory_usage_percent = i.mem, disk_usage_percent = i.disk,
                    uptime_seconds = i.uptime, applied_desired_version = i.applied, last_heartbeat_at = i.at
                FROM input i
                WHERE w.id = i.id AND w.deleted_at IS NULL AND (w.last_heartbeat_at IS NULL OR w.last_heartbeat_at < i.at)
                RETURNING w.id, w.status, w.status_changed_at, i.at
            )
            SELECT id FROM updated WHERE status = 'offline' AND status_changed_at < at
            """, conn, tx);
        cmd.Parameters.Add(new NpgsqlParameter("ids", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = ids });
        cmd.Parameters.Add(new NpgsqlParameter("cpu", NpgsqlDbType.Array | NpgsqlDbType.Double) { Value = cpu });
        cmd.Parameters.Add(new NpgsqlParameter("mem", NpgsqlDbType.Array | NpgsqlDbType.Double) { Value = mem });
        cmd.Parameters.Add(new NpgsqlParameter("disk", NpgsqlDbType.Array | NpgsqlDbType.Double) { Value = disk });
        cmd.Parameters.Add(new NpgsqlParameter("uptime", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = uptime });
        cmd.Parameters.Add(new NpgsqlParameter("applied", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = applied });
        cmd.Parameters.Add(new NpgsqlParameter("at", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { Value = at });
        await cmd.PrepareAsync(ct);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) resumed.Add(reader.GetGuid(0));
        return resumed;
    }

    private sealed record Observed(Guid WorkerId, Guid VmId, string State, string? Reason, long DesiredVersion, DateTimeOffset ObservedAt);

    /// <summary>
    /// Upserts VM states; returns those whose state differs from what the database held (new VMs included),
    /// and those now reported against the desired version in which the VM last changed when the stored
    /// report was older: the scheduler dropped that one as stale, so this one must reach it even if the
    /// state is the same (a VM that kept running through a reconnect, or started before the version applied).
    /// </summary>
    private static async Task<List<Observed>> WriteVmStatesAsync(NpgsqlConnection conn, NpgsqlTransaction tx, List<VmObservation> observations, CancellationToken ct)
    {
        var result = new List<Observed>();
        if (observations.Count == 0) return result;
        // One row per VM: the newest state seen in this batch.
        var latest = observations.GroupBy(o => (o.WorkerId, o.Vm.VmId)).Select(g => g.Last()).ToList();
        await using var cmd = new NpgsqlCommand("""
            WITH input AS (
                SELECT * FROM unnest(@workers, @vms, @states, @reasons, @desired, @restarts, @generations, @at)
                    AS i(worker_id, vm_id, state, reason, desired_version, restarts, generation, observed_at)
            ), old AS (
                SELECT o.worker_id, o.vm_id, o.state, o.desired_version FROM observed_vms o JOIN input i ON o.worker_id = i.worker_id AND o.vm_id = i.vm_id
            ), written AS (
                INSERT INTO observed_vms (worker_id, vm_id, state, reason, desired_version, restarts, generation, observed_at)
                SELECT worker_id, vm_id, state, reason, desired_version, restarts, generation, observed_at FROM input
                ON CONFLICT (worker_id, vm_id) DO UPDATE SET state = excluded.state, reason = excluded.reason,
                    desired_version = excluded.desired_version, restarts = excluded.restarts, generation = excluded.generation,
                    observed_at = excluded.observed_at
                WHERE observed_vms.observed_at <= excluded.observed_at
                  AND (observed_vms.state, observed_vms.reason, observed_vms.desired_version, observed_vms.restarts, observed_vms.generation)
                      IS DISTINCT FROM (excluded.state, excluded.reason, excluded.desired_version, excluded.restarts, excluded.generation)
                RETURNING worker_id, vm_id, state, reason, desired_version, observed_at
            )
            SELECT w.worker_id, w.vm_id, w.state, w.reason, w.desired_version, w.observed_at
            FROM written w LEFT JOIN old o ON o.worker_id = w.worker_id AND o.vm_id = w.vm_id
            WHERE o.state IS DISTINCT FROM w.state
               OR (o.desired_version < w.desired_version AND EXISTS (
                    -- desired_states.vms holds DesiredVm as System.Text.Json's web defaults write it (camelCase).
                    SELECT 1 FROM desired_states d, jsonb_array_elements(d.vms) e
                    WHERE d.worker_id = w.worker_id AND (e->>'vmId')::uuid = w.vm_id
                      AND COALESCE((e->>'changedIn')::bigint, 0) > o.desired_version
                      AND COALESCE((e->>'changedIn')::bigint, 0) <= w.desired_version))
            """, conn, tx);
        cmd.Parameters.Add(new NpgsqlParameter("workers", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = latest.Select(o => o.WorkerId).ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter("vms", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = latest.Select(o => o.Vm.VmId).ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter("states", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = latest.Select(o => Cut(o.Vm.State, 20)).ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter("reasons", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = latest.Select(o => o.Vm.Reason is null ? null : Cut(o.Vm.Reason, 500)).ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter("desired", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = latest.Select(o => o.Vm.DesiredVersion).ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter("restarts", NpgsqlDbType.Array | NpgsqlDbType.Integer) { Value = latest.Select(o => o.Vm.Restarts).ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter("generations", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = latest.Select(o => o.Vm.Generation).ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter("at", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { Value = latest.Select(o => o.At.UtcDateTime).ToArray() });
        await cmd.PrepareAsync(ct);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            result.Add(new Observed(reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.GetInt64(4), new DateTimeOffset(reader.GetDateTime(5), TimeSpan.Zero)));
        return result;
    }

    private static async Task WriteMetricsAsync(NpgsqlConnection conn, NpgsqlTransaction tx, List<MetricsReport> metrics, CancellationToken ct)
    {
        if (metrics.Count == 0) return;
        await using var cmd = new NpgsqlCommand("""
            INSERT INTO metric_samples (worker_id, sampled_at, cpu_usage_percent, memory_usage_percent, disk_usage_percent, data)
            SELECT w, t, c, m, d, j::jsonb FROM unnest(@w, @t, @c, @m, @d, @j) AS x(w, t, c, m, d, j)
            """, conn, tx);
        cmd.Parameters.Add(new NpgsqlParameter("w", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = metrics.Select(m => m.WorkerId).ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter("t", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { Value = metrics.Select(m => m.At.UtcDateTime).ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter("c", NpgsqlDbType.Array | NpgsqlDbType.Double) { Value = metrics.Select(m => HeartbeatIntake.Percent(m.Data.Cpu?.UsagePercent ?? 0)).ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter("m", NpgsqlDbType.Array | NpgsqlDbType.Double) { Value = metrics.Select(m => HeartbeatIntake.Percent(m.Data.Memory?.UsagePercent ?? 0)).ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter("d", NpgsqlDbType.Array | NpgsqlDbType.Double) { Value = metrics.Select(m => HeartbeatIntake.Percent(m.Data.Disk?.UsagePercent ?? 0)).ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter("j", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = metrics.Select(m => JsonSerializer.Serialize(m.Data, AgentJson.Options)).ToArray() });
        await cmd.PrepareAsync(ct);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private static string Cut(string s, int max) => s.Length <= max ? s : s[..max];
}
