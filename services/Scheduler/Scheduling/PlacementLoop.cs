using Aetherium.Scheduler.Workers;
using Microsoft.Extensions.Options;

namespace Aetherium.Scheduler.Scheduling;

/// <summary>Places queued VMs, batch after batch while there is work, then waits for a wake-up or the poll interval.</summary>
public sealed class PlacementLoop(
    IServiceScopeFactory scopes,
    FleetView view,
    SchedulerSignals signals,
    IOptions<SchedulerOptions> options,
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
                await using var scope = scopes.CreateAsyncScope();
                outcome = await scope.ServiceProvider.GetRequiredService<PlacementBatch>().RunAsync(stoppingToken);
                backoff = TimeSpan.FromMilliseconds(200);
            }
            catch (Exception) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The view may hold effects of the rolled-back transaction: reload it.
                view.MarkDirty();
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
}
