using Aetherium.Contracts;

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
            new LeaseCost(lease.Currency, lease.TierId, lease.HourlyCost, lease.TotalCost),
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

public sealed record LeaseCost(string Currency, string Tier, decimal Hourly, decimal Total);

/// <summary>How to reach one VM: host and port appear once it runs; the password only in the rent response.</summary>
public sealed record LeaseAccess(Guid VmId, string? Host, int? Port, string Username, string Auth, string? Password);
