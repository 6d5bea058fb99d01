namespace Aetherium.Lease.Leases;

/// <summary>
/// One VM of a lease as the scheduler last reported it. <see cref="Version"/> is the scheduler's
/// VmStateChanged version: only newer reports are applied, so late or redelivered events cannot undo newer ones.
/// </summary>
public sealed class LeaseVm
{
    public Guid Id { get; set; }
    public Guid LeaseId { get; set; }
    /// <summary>1-based position in the lease, the suffix of its name.</summary>
    public int Index { get; set; }
    public required string Name { get; set; }
    public required string Status { get; set; }
    public string? StatusReason { get; set; }
    public Guid? WorkerId { get; set; }
    public string? WorkerAddress { get; set; }
    public int? Port { get; set; }
    public long Version { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}
