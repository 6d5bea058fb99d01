namespace Aetherium.Lease.Pricing;

/// <summary>
/// What a lease is charged. The whole leased time is reserved at rent (and each extension adds to it); what is
/// charged is the time used, per started minute from the lease's start to its end (release or expiry; for an
/// active lease, now), never more than reserved. A lease released before its VMs ever ran is charged the
/// same way: the capacity was held for it from its start. An expired lease is charged its whole reservation.
/// </summary>
public static class Billing
{
    public static readonly TimeSpan Unit = TimeSpan.FromMinutes(1);

    /// <summary>The time charged for a lease rented from <paramref name="from"/> until <paramref name="until"/> that ended (or stands) at <paramref name="end"/>.</summary>
    public static TimeSpan Billed(DateTimeOffset from, DateTimeOffset until, DateTimeOffset end)
    {
        var used = end - from;
        if (used <= TimeSpan.Zero) return TimeSpan.Zero;
        var started = TimeSpan.FromTicks((used.Ticks + Unit.Ticks - 1) / Unit.Ticks * Unit.Ticks);
        var reserved = until - from;
        return started < reserved ? started : reserved;
    }

    /// <summary>Started minutes of a billed time.</summary>
    public static int Minutes(TimeSpan billed) => (int)((billed.Ticks + Unit.Ticks - 1) / Unit.Ticks);

    /// <summary>The amount for a billed time: the whole reservation's stored cost when all of it was used, else the hourly rate pro rata.</summary>
    public static decimal Charged(decimal hourly, decimal reserved, DateTimeOffset from, DateTimeOffset until, TimeSpan billed) =>
        billed >= until - from ? reserved : Costs.For(hourly, billed);
}
