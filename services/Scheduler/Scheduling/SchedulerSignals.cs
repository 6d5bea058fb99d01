namespace Aetherium.Scheduler.Scheduling;

/// <summary>Wake-ups for this replica's loops; other replicas find the same work by polling.</summary>
public sealed class SchedulerSignals
{
    public Signal Placement { get; } = new();
    public Signal Reschedule { get; } = new();
}

/// <summary>An auto-reset wake-up: many notifications before a wait count as one.</summary>
public sealed class Signal
{
    private readonly SemaphoreSlim _semaphore = new(0, 1);

    public void Notify()
    {
        if (_semaphore.CurrentCount > 0) return;
        try { _semaphore.Release(); } catch (SemaphoreFullException) { }
    }

    /// <summary>Waits for a notification or the timeout; returns quietly when cancelled.</summary>
    public async Task WaitAsync(TimeSpan timeout, CancellationToken ct)
    {
        try { await _semaphore.WaitAsync(timeout, ct); } catch (OperationCanceledException) { }
    }
}
