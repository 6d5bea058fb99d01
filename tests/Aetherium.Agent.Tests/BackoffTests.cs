using Aetherium.Agent.Connection;

namespace Aetherium.Agent.Tests;

public sealed class BackoffTests
{
    [Fact]
    public void Nominal_delays_double_from_one_second_to_sixty()
    {
        var seconds = Enumerable.Range(0, 10).Select(a => Backoff.Nominal(a).TotalSeconds).ToArray();

        Assert.Equal([1, 2, 4, 8, 16, 32, 60, 60, 60, 60], seconds);
        Assert.Equal(TimeSpan.FromSeconds(60), Backoff.Nominal(int.MaxValue));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(6)]
    [InlineData(40)]
    public void Jitter_keeps_each_delay_between_three_quarters_of_nominal_and_nominal(int attempt)
    {
        var nominal = Backoff.Nominal(attempt);

        Assert.Equal(nominal, Backoff.Delay(attempt, 0));
        Assert.Equal(nominal * 0.75, Backoff.Delay(attempt, 1));
        var random = new Random(attempt);
        var samples = Enumerable.Range(0, 1000).Select(_ => Backoff.Delay(attempt, random.NextDouble())).ToList();
        Assert.All(samples, d => Assert.InRange(d, nominal * 0.75, nominal));
        Assert.True(samples.Distinct().Count() > 900, "jitter spreads a fleet's reconnects");
        Assert.All(samples, d => Assert.True(d <= TimeSpan.FromSeconds(60)));
    }

    [Fact]
    public void A_refused_agent_retries_only_at_the_longest_backoff()
    {
        Assert.InRange(Backoff.Rejected(0.5), TimeSpan.FromSeconds(45), TimeSpan.FromSeconds(60));
        Assert.Equal(TimeSpan.FromSeconds(45), Backoff.Rejected(1));
    }
}
