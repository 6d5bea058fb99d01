using Aetherium.Contracts;

namespace Aetherium.Lease.Leases;

/// <summary>A tenant's rental of <see cref="Vms"/> for a fixed time, from its start to <see cref="LeasedUntil"/>.</summary>
public sealed class LeaseEntity
{
    public Guid Id { get; set; }
    public Guid OrganizationId { get; set; }
    public Guid UserId { get; set; }
    public required string Name { get; set; }
    public string Status { get; set; } = LeaseStatus.Active;
    public DateTimeOffset LeasedFrom { get; set; }
    public DateTimeOffset LeasedUntil { get; set; }
    /// <summary>When it was released or expired.</summary>
    public DateTimeOffset? EndedAt { get; set; }
    /// <summary>
    /// Why expiring it failed on its stored data (set by the expiry loop's isolation, see ExpiryLoop): the loop
    /// no longer takes it, so it holds no other lease back. An operator fixes the row and clears this.
    /// </summary>
    public string? ExpiryError { get; set; }
    public required VmSpec Spec { get; set; }
    public required string TierId { get; set; }
    public required string Currency { get; set; }
    /// <summary>Price of all its VMs for one hour, fixed at rent time so later price changes do not alter it.</summary>
    public decimal HourlyCost { get; set; }
    /// <summary>What the whole lease costs: the rented duration plus every extension.</summary>
    public decimal TotalCost { get; set; }
    public required string Username { get; set; }
    public required string AuthKind { get; set; }
    public string? SshPublicKey { get; set; }
    /// <summary>bcrypt of the generated password; the password itself is shown once and never stored.</summary>
    public string? PasswordHash { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public List<LeaseVm> Vms { get; set; } = [];
}

public static class LeaseStatus
{
    public const string Active = "active";
    public const string Released = "released";
    public const string Expired = "expired";
    public static readonly string[] All = [Active, Released, Expired];
}

public static class AuthKind
{
    public const string SshKey = "ssh_key";
    public const string Password = "password";
}
