using Aetherium.Scheduler.Scheduling;
using Microsoft.Extensions.Options;

namespace Aetherium.Scheduler.Rescheduling;

/// <summary>Runs <see cref="Evacuation"/> when a worker event wakes it, a migrated VM arrives, or the poll interval passes.</summary>
public sealed class Rescheduler(IServiceScopeFactory scopes, SchedulerSignals signals, IOptions<SchedulerOptions> options, ILogger<Rescheduler> log)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var poll = options.Value.Migration.PollInterval;
        while (!stoppingToken.IsCancellationRequested)
        {
            TimeSpan wait = poll;
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var again = await scope.ServiceProvider.GetRequiredService<Evacuation>().RunAsync(stoppingToken);
                if (again is { } w && w < wait) wait = w < TimeSpan.FromMilliseconds(20) ? TimeSpan.FromMilliseconds(20) : w;
            }
            catch (Exception) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                log.LogWarning(ex, "Rescheduling pass failed; retrying");
            }
            await signals.Reschedule.WaitAsync(wait, stoppingToken);
        }
    }
}
