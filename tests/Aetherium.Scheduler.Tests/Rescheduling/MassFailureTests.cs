using Aetherium.Scheduler.Rescheduling;
using Xunit;

namespace Aetherium.Scheduler.Tests.Rescheduling;

public sealed class MassFailureTests
{
    [Fact]
    public void A_few_failures_in_a_large_fleet_are_ordinary()
    {
        ZoneHealth[] zones = [new("a", 40, 5), new("b", 50, 5)];
        Assert.Null(MassFailure.Evaluate(zones, share: 0.3, minWorkers: 10));
    }

    [Fact]
    public void More_than_the_share_of_the_fleet_failing_is_a_mass_failure()
    {
        ZoneHealth[] zones = [new("a", 30, 20), new("b", 30, 20)];
        Assert.Equal("40 of 100 workers failed", MassFailure.Evaluate(zones, 0.3, 10));
    }

    [Fact]
    public void One_zone_failing_is_enough()
    {
        ZoneHealth[] zones = [new("a", 5, 15), new("b", 100, 0), new("c", 100, 0)];
        Assert.Equal("15 of 20 workers of zone a failed", MassFailure.Evaluate(zones, 0.3, 10));
    }

    [Fact]
    public void Small_fleets_and_zones_never_count()
    {
        ZoneHealth[] small = [new("a", 1, 2)];
        Assert.Null(MassFailure.Evaluate(small, 0.3, 10));
        ZoneHealth[] tinyZone = [new("a", 0, 3), new("b", 100, 0)];
        Assert.Null(MassFailure.Evaluate(tinyZone, 0.3, 10));
    }

    [Fact]
    public void Exactly_the_share_is_not_more_than_it() =>
        Assert.Null(MassFailure.Evaluate([new ZoneHealth("a", 70, 30)], 0.3, 10));
}
