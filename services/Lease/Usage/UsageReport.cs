using Aetherium.Lease.Pricing;

namespace Aetherium.Lease.Usage;

/// <summary>
/// An organisation's use over a period [from, to). A lease's billed time (<see cref="Billing"/>: per started
/// minute from its start) times its VM count, and its charged amount, are spread evenly over the time it was
/// used (its start to its release or expiry, or now while active): the period gets the share of that time that
/// falls inside it. So a lease inside the period counts whole (its last started minute included) and one spanning
/// the period's edges counts by overlap.
/// </summary>
public sealed record UsageReport(
    Guid? OrganizationId, DateTimeOffset From, DateTimeOffset To, string Currency,
    UsageReport.LeaseCounts Leases, decimal VmHours, decimal Cost, IReadOnlyList<UsageReport.Day> Days)
{
    public sealed record LeaseCounts(int Started, int Ended, int Billed);
    public sealed record Day(DateOnly Date, decimal VmHours, decimal Cost);

    /// <summary>One lease as the report needs it.</summary>
    public sealed record Row(DateTimeOffset LeasedFrom, DateTimeOffset LeasedUntil, DateTimeOffset? EndedAt,
        decimal HourlyCost, decimal TotalCost, string Currency, int VmCount);

    private const int Decimals = 6;

    public static UsageReport Build(Guid? organizationId, DateTimeOffset from, DateTimeOffset to, DateTimeOffset now,
        IReadOnlyList<Row> rows, string defaultCurrency)
    {
        var days = new List<(DateTimeOffset Start, DateTimeOffset End)>();
        for (var d = from.UtcDateTime.Date; d < to.UtcDateTime; d = d.AddDays(1))
            days.Add((Max(from, new DateTimeOffset(d, TimeSpan.Zero)), Min(to, new DateTimeOffset(d.AddDays(1), TimeSpan.Zero))));
        var dayHours = new decimal[days.Count];
        var dayCost = new decimal[days.Count];
        decimal vmHours = 0, cost = 0;
        int billedLeases = 0;

        foreach (var r in rows)
        {
            var start = r.LeasedFrom;
            var end = Min(r.EndedAt ?? now, r.LeasedUntil);
            var used = end - start;
            if (used <= TimeSpan.Zero) continue;
            var billed = Billing.Billed(r.LeasedFrom, r.LeasedUntil, r.EndedAt ?? now);
            var charged = Billing.Charged(r.HourlyCost, r.TotalCost, r.LeasedFrom, r.LeasedUntil, billed);
            var billedVmHours = Hours(billed) * r.VmCount;
            var overlap = Overlap(start, end, from, to);
            if (overlap <= TimeSpan.Zero) continue;
            billedLeases++;
            vmHours += Share(billedVmHours, overlap, used);
            cost += Share(charged, overlap, used);
            for (var i = 0; i < days.Count; i++)
            {
                var part = Overlap(start, end, days[i].Start, days[i].End);
                if (part <= TimeSpan.Zero) continue;
                dayHours[i] += Share(billedVmHours, part, used);
                dayCost[i] += Share(charged, part, used);
            }
        }

        var counts = new LeaseCounts(
            rows.Count(r => r.LeasedFrom >= from && r.LeasedFrom < to),
            rows.Count(r => r.EndedAt is { } e && e >= from && e < to),
            billedLeases);
        var currency = rows.Select(r => r.Currency).FirstOrDefault() ?? defaultCurrency;
        return new UsageReport(organizationId, from, to, currency, counts, Round(vmHours), Round(cost),
            days.Select((d, i) => new Day(DateOnly.FromDateTime(d.Start.UtcDateTime), Round(dayHours[i]), Round(dayCost[i]))).ToList());
    }

    private static TimeSpan Overlap(DateTimeOffset aStart, DateTimeOffset aEnd, DateTimeOffset bStart, DateTimeOffset bEnd) =>
        Min(aEnd, bEnd) - Max(aStart, bStart);

    private static decimal Hours(TimeSpan span) => (decimal)span.Ticks / TimeSpan.TicksPerHour;

    private static decimal Share(decimal charged, TimeSpan part, TimeSpan whole) => charged * part.Ticks / whole.Ticks;

    private static decimal Round(decimal value) => Math.Round(value, Decimals, MidpointRounding.AwayFromZero);

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;
}
