namespace Aetherium.Scheduler.Rescheduling;

/// <summary>
/// A token bucket as a value: <paramref name="Tokens"/> left at <paramref name="At"/>. Refills at
/// <c>rate</c> tokens per second up to <c>burst</c>. Kept in the database so that all scheduler
/// replicas share one budget.
/// </summary>
public readonly record struct TokenBucket(double Tokens, DateTimeOffset At)
{
    /// <summary>Takes up to <paramref name="wanted"/> whole tokens; returns the bucket after and how many it granted.</summary>
    public (TokenBucket Bucket, int Granted) Take(int wanted, DateTimeOffset now, double ratePerSecond, double burst)
    {
        var elapsed = Math.Max(0, (now - At).TotalSeconds);
        var tokens = Math.Min(burst, Tokens + elapsed * ratePerSecond);
        var granted = (int)Math.Min(Math.Max(wanted, 0), Math.Floor(tokens));
        return (new TokenBucket(tokens - granted, now), granted);
    }

    /// <summary>How long until one whole token is available.</summary>
    public TimeSpan UntilNextToken(double ratePerSecond) =>
        Tokens >= 1 || ratePerSecond <= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds((1 - Tokens) / ratePerSecond);
}
