namespace Aetherium.Scheduler.Rescheduling;

/// <summary>Per zone: workers active now, and workers that failed recently (or still hold VMs to move).</summary>
public sealed record ZoneHealth(string Zone, int Active, int Failed);

/// <summary>
/// Decides whether offline workers look like a mass failure: more than a share of the fleet, or of
/// one zone, failed together. Then the fault is more likely the control plane's network than the
/// workers, and VMs are rescheduled at a bounded rate instead of all at once (DESIGN §5).
/// Fleets or zones smaller than <paramref name="minWorkers"/> never count as a mass failure: one of
/// three workers going down is ordinary.
/// </summary>
public static class MassFailure
{
    public static string? Evaluate(IReadOnlyCollection<ZoneHealth> zones, double share, int minWorkers)
    {
        var active = zones.Sum(z => z.Active);
        var failed = zones.Sum(z => z.Failed);
        if (Exceeds(active, failed, share, minWorkers))
            return $"{failed} of {active + failed} workers failed";
        foreach (var z in zones.OrderBy(z => z.Zone, StringComparer.Ordinal))
        {
            if (Exceeds(z.Active, z.Failed, share, minWorkers))
                return $"{z.Failed} of {z.Active + z.Failed} workers of zone {z.Zone} failed";
        }
        return null;
    }

    private static bool Exceeds(int active, int failed, double share, int minWorkers)
    {
        var total = active + failed;
        return failed > 0 && total >= Math.Max(minWorkers, 1) && failed > share * total;
    }
}
