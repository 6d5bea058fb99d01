namespace Aetherium.Testing;

/// <summary>Polls a condition until it holds: for asserting on asynchronous effects without sleeps.</summary>
public static class Eventually
{
    public static async Task<T> GetAsync<T>(Func<Task<T>> probe, Func<T, bool> until, TimeSpan? timeout = null, string? because = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        T last;
        while (true)
        {
            last = await probe();
            if (until(last)) return last;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Condition not met within the timeout{(because is null ? "" : ": " + because)}; last value: {last}");
            await Task.Delay(100);
        }
    }

    public static Task TrueAsync(Func<Task<bool>> probe, TimeSpan? timeout = null, string? because = null) =>
        GetAsync(probe, ok => ok, timeout, because);
}
