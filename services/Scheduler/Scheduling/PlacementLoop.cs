using Aetherium.Scheduler.Vms;
using Aetherium.Scheduler.Workers;
using Aetherium.ServiceDefaults.Data;
using Microsoft.Extensions.Options;

namespace Aetherium.Scheduler.Scheduling;

/// <summary>
/// Places queued VMs, batch after batch while there is work, then waits for a wake-up or the poll interval.
/// A batch that fails on a VM's stored data is placed again in halves until that VM is alone; it is
/// quarantined (<see cref="VmQuarantine"/>) and the others are placed on the way (<see cref="BatchFailures"/>).
/// </summary>
public sealed class PlacementLoop(
    IServiceScopeFactory scopes,
    FleetView view,
    SchedulerSignals signals,
    IOptions<SchedulerOptions> options,
    TimeProvider time,
    ILogger<PlacementLoop> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var backoff = TimeSpan.FromMilliseconds(200);
        while (!stoppingToken.IsCancellationRequested)
        {
            PlacementBatch.Outcome outcome;
            try
            {
                outcome = await PlaceAsync(null, stoppingToken);
                backoff = TimeSpan.FromMilliseconds(200);
            }
            catch (Exception) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                if (BatchFailures.IsDataError(ex) && await IsolateAsync(ex, stoppingToken)) continue;
                log.LogWarning(ex, "Placement batch failed; retrying in {Backoff} ms", (int)backoff.TotalMilliseconds);
                await signals.Placement.WaitAsync(backoff, stoppingToken);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
                continue;
            }
            // Go on at once while the queue may hold more; a refused placement is retried at once too.
            if (outcome.Placed > 0 || outcome.Refused > 0 || outcome.Claimed >= options.Value.BatchSize) continue;
            await signals.Placement.WaitAsync(options.Value.PollInterval, stoppingToken);
        }
    }

    /// <summary>One placement transaction in its own scope (a failed one leaves its context unusable).</summary>
    private async Task<PlacementBatch.Outcome> PlaceAsync(IReadOnlyList<Guid>? only, CancellationToken ct)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            return await scope.ServiceProvider.GetRequiredService<PlacementBatch>().RunAsync(ct, only);
        }
        catch
        {
            // The view may hold effects of the rolled-back transaction: reload it.
            view.MarkDirty();
            throw;
        }
    }

    /// <summary>
    /// The isolation path, taken only after a batch failed on data: places the queue's next batch in halves,
    /// quarantines each VM that fails alone. Returns false when a transient failure stopped it (back off).
    /// </summary>
    private async Task<bool> IsolateAsync(Exception error, CancellationToken ct)
    {
        log.LogWarning("Placement batch failed on a VM's stored data; placing it in parts to find that VM: {Error}", BatchFailures.Describe(error));
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var queued = await scope.ServiceProvider.GetRequiredService<PlacementBatch>().QueuedAsync(ct);
            await VmQuarantine.IsolateAsync(scopes, queued, "placement", (ids, token) => PlaceAsync(ids, token), time, log, ct);
            return true;
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            log.LogWarning("Placement isolation stopped; the batch is retried later: {Error}", BatchFailures.Describe(ex));
            return false;
        }
    }
}
