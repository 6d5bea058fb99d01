namespace Aetherium.Lease.Leases;

/// <summary>
/// PostgreSQL keeps timestamps to the microsecond: lease times are cut to that before use, so what the
/// API answers at once is exactly what later reads (and the expiry loop) see.
/// </summary>
public static class Clock
{
    public static DateTimeOffset Now()
    {
        var now = DateTimeOffset.UtcNow;
        return new DateTimeOffset(now.Ticks - now.Ticks % TimeSpan.TicksPerMicrosecond, TimeSpan.Zero);
    }

    public static TimeSpan Microseconds(TimeSpan span) => TimeSpan.FromTicks(span.Ticks - span.Ticks % TimeSpan.TicksPerMicrosecond);
}
