using Aetherium.Contracts;
using Aetherium.Lease.Pricing;

namespace Aetherium.Lease.Leases;

/// <summary>A lease as the API shows it (DESIGN §12 "lease").</summary>
public sealed record LeaseView(
    Guid Id,
    string Name,
    string Status,
    string Placement,
    Guid OrganizationId,
    Guid UserId,
    IReadOnlyList<LeaseVmView> Vms,
    DateTimeOffset LeasedFrom,
    DateTimeOffset LeasedUntil,
    DateTimeOffset? EndedAt,
    LeaseCost Cost,
    IReadOnlyList<LeaseAccess> Access,
    DateTimeOffset CreatedAt)
{
    /// <summary>Placement of the lease as a whole, from its VMs' states.</summary>
    public static class PlacementState
    {
        public const string Pending = "pending";
        public const string Placed = "placed";
        public const string Unschedulable = "unschedulable";
        public const string Failed = "failed";
        public const string Deleting = "deleting";
        public const string Deleted = "deleted";
    }

    /// <param name="password">The generated password, given only when answering the rent itself.</param>
    public static LeaseView From(LeaseEntity lease, string? password = null)
    {
        var vms = lease.Vms.OrderBy(v => v.Index).ToList();
        var access = lease.Status != LeaseStatus.Active ? [] : vms
            .Where(v => v.Status != VmStatus.Deleted)
            .Select(v =>
            {
                var reachable = v.Status == VmStatus.Running && v.WorkerAddress is not null && v.Port is not null;
                return new LeaseAccess(v.Id, reachable ? v.WorkerAddress : null, reachable ? v.Port : null, lease.Username, lease.AuthKind, password);
            })
            .ToList();
        return new LeaseView(
            lease.Id, lease.Name, lease.Status, PlacementOf(lease, vms), lease.OrganizationId, lease.UserId,
            vms.Select(v => new LeaseVmView(v.Id, v.Name, v.Status, v.StatusReason, v.WorkerId, lease.Spec)).ToList(),
            lease.LeasedFrom, lease.LeasedUntil, lease.EndedAt,
            LeaseCost.Of(lease),
            access, lease.CreatedAt);
    }

    private static string PlacementOf(LeaseEntity lease, List<LeaseVm> vms)
    {
        if (vms.All(v => v.Status == VmStatus.Deleted)) return PlacementState.Deleted;
        if (lease.Status != LeaseStatus.Active) return PlacementState.Deleting;
        if (vms.Any(v => v.Status == VmStatus.Failed)) return PlacementState.Failed;
        if (vms.Any(v => v.Status == VmStatus.Unschedulable)) return PlacementState.Unschedulable;
        if (vms.Any(v => v.Status == VmStatus.Pending)) return PlacementState.Pending;
        return PlacementState.Placed;
    }
}

public sealed record LeaseVmView(Guid Id, string Name, string Status, string? StatusReason, Guid? WorkerId, VmSpec Spec);

/// <summary>
/// A lease's cost. <c>hourly</c> and <c>total</c> are kept for existing clients (<c>total</c> = <c>reserved</c>).
/// <c>reserved</c>: the price of the whole leased time, extensions included. <c>charged</c>: what it costs for
/// the time used (<see cref="Billing"/>): so far while active, final once ended. <c>not_charged</c>: the part of
/// the reservation not charged, once ended (null while active). <c>billed_minutes</c>: the started minutes charged.
/// </summary>
public sealed record LeaseCost(string Currency, string Tier, decimal Hourly, decimal Total,
    decimal RatePerHour, decimal Reserved, decimal Charged, decimal? NotCharged, int BilledMinutes)
{
    public static LeaseCost Of(LeaseEntity lease) =>
        Of(lease.Currency, lease.TierId, lease.HourlyCost, lease.TotalCost, lease.LeasedFrom, lease.LeasedUntil, lease.EndedAt);

    public static LeaseCost Of(string currency, string tier, decimal hourly, decimal reserved,
        DateTimeOffset from, DateTimeOffset until, DateTimeOffset? endedAt)
    {
        var billed = Billing.Billed(from, until, endedAt ?? Clock.Now());
        var charged = Billing.Charged(hourly, reserved, from, until, billed);
        return new LeaseCost(currency, tier, hourly, reserved, hourly, reserved, charged,
            endedAt is null ? null : reserved - charged, Billing.Minutes(billed));
    }
}

/// <summary>How to reach one VM: host and port appear once it runs; the password only in the rent response.</summary>
public sealed record LeaseAccess(Guid VmId, string? Host, int? Port, string Username, string Auth, string? Password);
