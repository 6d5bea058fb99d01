using Aetherium.Scheduler.Scheduling;
using Xunit;

namespace Aetherium.Scheduler.Tests.Scheduling;

public sealed class PortsTests
{
    [Fact]
    public void Ports_are_taken_from_the_cursor_on_skipping_used_ones()
    {
        var (ports, cursor) = Ports.Assign(new HashSet<int> { 20001, 20002 }, cursor: 1, first: 20000, last: 20009, count: 3);
        Assert.Equal([20003, 20004, 20005], ports);
        Assert.Equal(6, cursor);
    }

    [Fact]
    public void The_cursor_wraps_round_the_range()
    {
        var (ports, cursor) = Ports.Assign(new HashSet<int> { 20000 }, cursor: 9, first: 20000, last: 20009, count: 2);
        Assert.Equal([20009, 20001], ports);
        Assert.Equal(2, cursor);
    }

    [Fact]
    public void A_full_range_is_refused_rather_than_reusing_a_port()
    {
        var used = Enumerable.Range(20000, 10).ToHashSet();
        Assert.Throws<InvalidOperationException>(() => Ports.Assign(used, 0, 20000, 20009, 1));
    }

    [Fact]
    public void Ports_given_in_one_call_are_distinct()
    {
        var (ports, _) = Ports.Assign(new HashSet<int>(), 0, 20000, 20004, 5);
        Assert.Equal(5, ports.Distinct().Count());
    }
}
