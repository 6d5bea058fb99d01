using Aetherium.Contracts;
using Aetherium.Lease.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Aetherium.Lease.Leases;

/// <summary>Release and expiry end leases the same way; only the final status and the event differ.</summary>
public static class LeaseEnding
{
    public sealed record Ended(Guid Id, Guid OrganizationId, DateTimeOffset LeasedUntil);
    private sealed record EndedVm(Guid Id, Guid LeaseId, string Status);

    /// <summary>
    /// Marks the given leases ended, orders the deletion of each of their VMs not yet deleted and announces
    /// it, all in the caller's transaction (the caller has locked the lease rows, so this happens exactly
    /// once per lease). Set-based, since the expiry loop ends hundreds at a time. Returns the leases ended.
    /// </summary>
    public static async Task<IReadOnlyList<Ended>> EndAsync(LeaseDbContext db, Guid[] leaseIds, string status, DateTimeOffset now, CancellationToken ct)
    {
        var leases = await db.Database.SqlQuery<Ended>($"""
            UPDATE leases SET status = {status}, ended_at = {now}
            WHERE id = ANY({leaseIds}) AND status = 'active'
            RETURNING id AS "Id", organization_id AS "OrganizationId", leased_until AS "LeasedUntil"
            """).ToListAsync(ct);
        var vms = (await db.Database.SqlQuery<EndedVm>($"""
            UPDATE lease_vms SET status = CASE WHEN status = 'deleted' THEN status ELSE 'deleting' END, updated_at = {now}
            WHERE lease_id = ANY({leases.Select(l => l.Id).ToArray()})
            RETURNING id AS "Id", lease_id AS "LeaseId", status AS "Status"
            """).ToListAsync(ct)).ToLookup(v => v.LeaseId);

        var reason = status == LeaseStatus.Released ? "lease released" : "lease expired";
        foreach (var lease in leases)
        {
            var ids = vms[lease.Id].OrderBy(v => v.Id).ToList();
            foreach (var vm in ids.Where(v => v.Status != VmStatus.Deleted))
                db.Publish(new DeleteVm(vm.Id, lease.OrganizationId, reason));
            var vmIds = ids.Select(v => v.Id).ToList();
            if (status == LeaseStatus.Released)
                db.Publish(new LeaseReleased(lease.Id, lease.OrganizationId, vmIds, now));
            else
                db.Publish(new LeaseExpired(lease.Id, lease.OrganizationId, vmIds, lease.LeasedUntil, now));
        }
        await db.SaveChangesAsync(ct);
        return leases;
    }
}
