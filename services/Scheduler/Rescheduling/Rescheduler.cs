using Aetherium.Scheduler.Scheduling;
using Aetherium.Scheduler.Vms;
using Aetherium.ServiceDefaults.Data;
using Microsoft.Extensions.Options;

namespace Aetherium.Scheduler.Rescheduling;

/// <summary>
/// Runs <see cref="Evacuation"/> when a worker event wakes it, a migrated VM arrives, or the poll interval passes.
/// A pass that fails on a VM's stored data is run again in halves of the VMs to move; the VM that fails alone is
/// quarantined (<see cref="VmQuarantine"/>) and the others move on the way (<see cref="BatchFailures"/>).
/// </summary>
public sealed class Rescheduler(IServiceScopeFactory scopes, SchedulerSignals signals, IOptions<SchedulerOptions> options, TimeProvider time,
    ILogger<Rescheduler> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var poll = options.Value.Migration.PollInterval;
        while (!stoppingToken.IsCancellationRequested)
        {
            TimeSpan wait = poll;
            try
            {
                var again = await EvacuateAsync(null, stoppingToken);
                if (again is { } w && w < wait) wait = w < TimeSpan.FromMilliseconds(20) ? TimeSpan.FromMilliseconds(20) : w;
            }
            catch (Exception) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (BatchFailures.IsDataError(ex))
            {
                await IsolateAsync(ex, stoppingToken);
            }
            catch (Exception ex)
            {
                log.LogWarning(ex, "Rescheduling pass failed; retrying");
            }
            await signals.Reschedule.WaitAsync(wait, stoppingToken);
        }
    }

    private async Task<TimeSpan?> EvacuateAsync(IReadOnlyList<Guid>? only, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<Evacuation>().RunAsync(ct, only);
    }

    /// <summary>The isolation path, taken only after a pass failed on data.</summary>
    private async Task IsolateAsync(Exception error, CancellationToken ct)
    {
        log.LogWarning("Rescheduling pass failed on a VM's stored data; moving VMs in parts to find that VM: {Error}", BatchFailures.Describe(error));
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var leaving = await scope.ServiceProvider.GetRequiredService<Evacuation>().LeavingAsync(ct);
            await VmQuarantine.IsolateAsync(scopes, leaving, "rescheduling", (ids, token) => EvacuateAsync(ids, token), time, log, ct);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            log.LogWarning("Rescheduling isolation stopped; retrying with the next pass: {Error}", BatchFailures.Describe(ex));
        }
    }
}
