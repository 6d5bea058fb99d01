using Aetherium.Scheduler.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Aetherium.Scheduler.Vms;

/// <summary>
/// Ends deletions no agent report confirmed: at once when the VM's worker is offline or gone, otherwise
/// after <see cref="SchedulerOptions.DeleteConfirmTimeout"/> (the worker's desired set no longer holds the
/// VM, and agents reconcile level-triggered, so it does not run there any more).
/// </summary>
public sealed class DeletionConfirmer(IServiceScopeFactory scopes, IOptions<SchedulerOptions> options, TimeProvider time, ILogger<DeletionConfirmer> log)
    : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

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
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    log.LogWarning(ex, "Deletion sweep failed; retrying");
                }
            }
        }
        catch (OperationCanceledException) { }
    }

    public async Task SweepAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SchedulerDbContext>();
        var now = time.GetUtcNow();
        var cutoff = now - options.Value.DeleteConfirmTimeout;
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var done = await db.Vms.FromSql($"""
            SELECT v.* FROM vms v LEFT JOIN scheduler_workers w ON w.id = v.worker_id
            WHERE v.status = 'deleting' AND (v.deleting_since < {cutoff} OR w.id IS NULL OR w.status IN ('offline', 'deleted'))
            LIMIT 500 FOR UPDATE OF v SKIP LOCKED
            """).ToListAsync(ct);
        foreach (var vm in done) VmStates.Deleted(db, vm, vm.StatusReason, now);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
    }
}
