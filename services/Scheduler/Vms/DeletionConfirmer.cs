using System.Runtime.CompilerServices;
using Aetherium.Scheduler.Persistence;
using Aetherium.ServiceDefaults.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Aetherium.Scheduler.Vms;

/// <summary>
/// Ends deletions no agent report confirmed: at once when the VM's worker is offline or gone, otherwise
/// after <see cref="SchedulerOptions.DeleteConfirmTimeout"/> (the worker's desired set no longer holds the
/// VM, and agents reconcile level-triggered, so it does not run there any more). A sweep that fails on a
/// VM's stored data is swept again in halves; the VM that fails alone is quarantined (<see cref="VmQuarantine"/>).
/// </summary>
public sealed class DeletionConfirmer(IServiceScopeFactory scopes, IOptions<SchedulerOptions> options, TimeProvider time, ILogger<DeletionConfirmer> log)
    : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    private const int BatchSize = 500;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await SweepAsync(stoppingToken);
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested && BatchFailures.IsDataError(ex))
                {
                    await IsolateAsync(ex, stoppingToken);
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    log.LogWarning(ex, "Deletion sweep failed; retrying");
                }
            }
        }
        catch (OperationCanceledException) { }
    }

    /// <summary>Ends up to a batch of the deletions due, or (<paramref name="only"/>) those of the given VMs.</summary>
    public async Task SweepAsync(CancellationToken ct, IReadOnlyList<Guid>? only = null)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SchedulerDbContext>();
        var now = time.GetUtcNow();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var cutoff = now - options.Value.DeleteConfirmTimeout;
        var done = await db.Vms.FromSql(only is null
            ? FormattableStringFactory.Create($"SELECT v.* {Due} LIMIT {BatchSize} FOR UPDATE OF v SKIP LOCKED", cutoff)
            : FormattableStringFactory.Create($"SELECT v.* {Due} AND v.id = ANY({{1}}) FOR UPDATE OF v SKIP LOCKED", cutoff, only.ToArray()))
            .ToListAsync(ct);
        foreach (var vm in done) VmStates.Deleted(db, vm, vm.StatusReason, now);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
    }

    /// <summary>The deletions to end ({0}: deleting since before this, the timeout).</summary>
    private const string Due = """
        FROM vms v LEFT JOIN scheduler_workers w ON w.id = v.worker_id
        WHERE v.status = 'deleting' AND (v.deleting_since < {0} OR w.id IS NULL OR w.status IN ('offline', 'deleted'))
        """;

    /// <summary>The isolation path, taken only after a sweep failed on data.</summary>
    private async Task IsolateAsync(Exception error, CancellationToken ct)
    {
        log.LogWarning("Deletion sweep failed on a VM's stored data; sweeping in parts to find that VM: {Error}", BatchFailures.Describe(error));
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<SchedulerDbContext>();
            var due = await db.Database.SqlQuery<Guid>(FormattableStringFactory.Create(
                $"SELECT v.id AS \"Value\" {Due} LIMIT {BatchSize}", time.GetUtcNow() - options.Value.DeleteConfirmTimeout)).ToListAsync(ct);
            await VmQuarantine.IsolateAsync(scopes, due, "deletion", (ids, token) => SweepAsync(token, ids), time, log, ct);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            log.LogWarning("Deletion sweep isolation stopped; retrying with the next sweep: {Error}", BatchFailures.Describe(ex));
        }
    }
}
