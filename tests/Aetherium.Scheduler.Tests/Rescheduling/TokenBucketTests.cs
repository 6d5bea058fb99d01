using Aetherium.Scheduler.Rescheduling;
using Xunit;

namespace Aetherium.Scheduler.Tests.Rescheduling;

public sealed class TokenBucketTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_full_bucket_grants_its_burst_then_refills_at_the_rate()
    {
        var bucket = new TokenBucket(5, T0);
        var (afterBurst, granted) = bucket.Take(100, T0, ratePerSecond: 2, burst: 5);
        Assert.Equal(5, granted);

        var (_, none) = afterBurst.Take(100, T0, 2, 5);
        Assert.Equal(0, none);

        var (later, refilled) = afterBurst.Take(100, T0.AddSeconds(1.5), 2, 5);
        Assert.Equal(3, refilled);              // 1.5 s × 2/s
        Assert.Equal(0, later.Tokens, 6);
    }

    [Fact]
    public void Over_a_long_run_no_more_than_burst_plus_rate_times_time_is_granted()
    {
        var bucket = new TokenBucket(10, T0);
        var total = 0;
        for (var ms = 0; ms <= 10_000; ms += 37)
        {
            (bucket, var granted) = bucket.Take(1000, T0.AddMilliseconds(ms), ratePerSecond: 20, burst: 10);
            total += granted;
        }
        Assert.InRange(total, 200, 10 + 200); // 10 s at 20/s, plus the initial burst
    }

    [Fact]
    public void Idle_time_never_fills_beyond_the_burst()
    {
        var (_, granted) = new TokenBucket(0, T0).Take(1000, T0.AddHours(1), 20, 10);
        Assert.Equal(10, granted);
    }

    [Fact]
    public void It_says_when_the_next_token_comes()
    {
        Assert.Equal(TimeSpan.FromMilliseconds(250), new TokenBucket(0.5, T0).UntilNextToken(2));
        Assert.Equal(TimeSpan.Zero, new TokenBucket(1, T0).UntilNextToken(2));
    }
}
