namespace Aetherium.Agent.Connection;

/// <summary>
/// An auto-reset "something changed" flag to await without a thread: any number of Set calls
/// before a wait wake it once.
/// </summary>
public sealed class Signal
{
    private TaskCompletionSource _tcs = NewSource();

    private static TaskCompletionSource NewSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Set() => Volatile.Read(ref _tcs).TrySetResult();

    /// <summary>A task that completes at the next Set (or at once when one is pending); then the flag is cleared.</summary>
    public async Task WaitAsync(TimeSpan timeout, CancellationToken ct)
    {
        var current = Volatile.Read(ref _tcs);
        if (!current.Task.IsCompleted)
        {
            try
            {
                await current.Task.WaitAsync(timeout, ct);
            }
            catch (TimeoutException)
            {
                return;
            }
        }
        Interlocked.CompareExchange(ref _tcs, NewSource(), current);
    }

    public Task Task => Volatile.Read(ref _tcs).Task;

    /// <summary>Clears a pending Set once it has been acted on.</summary>
    public void Reset()
    {
        var current = Volatile.Read(ref _tcs);
        if (current.Task.IsCompleted) Interlocked.CompareExchange(ref _tcs, NewSource(), current);
    }
}
