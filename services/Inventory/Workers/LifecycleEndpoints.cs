using System.Security.Claims;
using Aetherium.Contracts;
using Aetherium.Contracts.Agent;
using Aetherium.Inventory.Agents;
using Aetherium.Inventory.Persistence;
using Aetherium.ServiceDefaults.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Aetherium.Inventory.Workers;

public sealed record DrainRequest(int? DeadlineSeconds, int? MaxParallel);

/// <summary>
/// Owner- or admin-set states (DESIGN §5): active → draining (no new VMs, existing ones moved within a
/// deadline, at most max_parallel at a time) or maintenance (the operator is working on the machine: its
/// agent is refused with WORKER_INACTIVE until activate); back with activate.
/// </summary>
public static class LifecycleEndpoints
{
    public const int DefaultDrainSeconds = 3600;
    public const int MaxDrainSeconds = 7 * 24 * 3600;

    public static void MapWorkerLifecycle(this RouteGroupBuilder g)
    {
        g.MapPost("/{id:guid}/drain", Drain);
        g.MapPost("/{id:guid}/activate", Activate);
        g.MapPost("/{id:guid}/maintenance", Maintenance);
    }

    private static async Task<Results<Ok<StatusChangeResponse>, ValidationProblem, ProblemHttpResult>> Drain(
        Guid id, DrainRequest? body, ClaimsPrincipal user, InventoryDbContext db, TimeProvider clock, CancellationToken ct)
    {
        var v = new Validator();
        var seconds = body?.DeadlineSeconds ?? DefaultDrainSeconds;
        var parallel = body?.MaxParallel ?? 1;
        v.Require(seconds is >= 1 and <= MaxDrainSeconds, "deadline_seconds", $"must be between 1 and {MaxDrainSeconds}");
        v.Require(parallel is >= 1 and <= 1000, "max_parallel", "must be between 1 and 1000");
        if (v.Failed) return v.Problem();

        var now = clock.GetUtcNow();
        return await db.RetryOnConflictAsync<Results<Ok<StatusChangeResponse>, ValidationProblem, ProblemHttpResult>>(async () =>
        {
            var w = await db.FindVisibleAsync(id, user, ct);
            if (w is null) return Problems.NotFound("Worker");
            if (w.Status is not (WorkerStatus.Active or WorkerStatus.Draining))
                return Problems.Conflict($"A worker that is {w.Status} cannot be drained; only an active (or draining) worker can.");
            var old = w.Status;
            if (old == WorkerStatus.Draining) w.Touch(now); // a new deadline or parallelism for a running drain
            else w.MoveTo(WorkerStatus.Draining, "drained by owner", now);
            w.DrainDeadline = now.AddSeconds(seconds);
            w.DrainMaxParallel = parallel;
            if (old == WorkerStatus.Draining) db.Publish(new WorkerCapacityChanged(w.ToSnapshot(), now));
            else db.Publish(new WorkerStatusChanged(w.ToSnapshot(), old, w.Status, w.StatusReason, now));
            await db.SaveChangesAsync(ct);
            return TypedResults.Ok(new StatusChangeResponse(w.Id, w.Status,
                "Worker marked as draining. It will stop accepting new tasks; its VMs are moved before the deadline.", w.DrainDeadline, parallel));
        });
    }

    private static async Task<Results<Ok<StatusChangeResponse>, ProblemHttpResult>> Activate(
        Guid id, ClaimsPrincipal user, InventoryDbContext db, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        return await db.RetryOnConflictAsync<Results<Ok<StatusChangeResponse>, ProblemHttpResult>>(async () =>
        {
            var w = await db.FindVisibleAsync(id, user, ct);
            if (w is null) return Problems.NotFound("Worker");
            if (w.Status is not (WorkerStatus.Draining or WorkerStatus.Maintenance))
                return Problems.Conflict(w.Status switch
                {
                    WorkerStatus.Active => "The worker is already active.",
                    WorkerStatus.Offline => "An offline worker becomes active again when its agent heartbeats.",
                    _ => $"A worker that is {w.Status} cannot be activated; its agent must register first.",
                });
            // StatusChangedAt = now gives a worker back from maintenance a full offline timeout to reconnect.
            var old = w.MoveTo(WorkerStatus.Active, "activated by owner", now);
            db.Publish(new WorkerStatusChanged(w.ToSnapshot(), old, w.Status, w.StatusReason, now));
            await db.SaveChangesAsync(ct);
            return TypedResults.Ok(new StatusChangeResponse(w.Id, w.Status, "Worker activated. It will resume accepting tasks."));
        });
    }

    private static async Task<Results<Ok<StatusChangeResponse>, ProblemHttpResult>> Maintenance(
        Guid id, ClaimsPrincipal user, InventoryDbContext db, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        return await db.RetryOnConflictAsync<Results<Ok<StatusChangeResponse>, ProblemHttpResult>>(async () =>
        {
            var w = await db.FindVisibleAsync(id, user, ct);
            if (w is null) return Problems.NotFound("Worker");
            if (w.Status is not (WorkerStatus.Active or WorkerStatus.Draining or WorkerStatus.Offline))
                return Problems.Conflict(w.Status == WorkerStatus.Maintenance
                    ? "The worker is already in maintenance."
                    : $"A worker that is {w.Status} cannot enter maintenance; its agent must register first.");
            var old = w.MoveTo(WorkerStatus.Maintenance, "maintenance by owner", now);
            db.Publish(new WorkerStatusChanged(w.ToSnapshot(), old, w.Status, w.StatusReason, now));
            // Its agent session ends wherever it is held; new ones are refused until activate.
            await db.SaveAndNotifyAsync(SessionNotices.CloseChannel, SessionNotices.CloseWorker(w.Id, AckErrorCodes.WorkerInactive), ct);
            return TypedResults.Ok(new StatusChangeResponse(w.Id, w.Status,
                "Worker in maintenance. It accepts no VMs and its agent is disconnected until it is activated."));
        });
    }
}
