namespace Aetherium.Lease.Leases;

/// <summary>Configuration section "Lease".</summary>
public sealed class LeaseSettings
{
    /// <summary>Most VMs one lease may hold.</summary>
    public int MaxCount { get; set; } = 20;
    /// <summary>Longest duration one rent or one extension may ask for.</summary>
    public double MaxDurationHours { get; set; } = 720;
    /// <summary>The account tenants log in with on their VMs.</summary>
    public string Username { get; set; } = "aetherium";
    /// <summary>The size of a VM when the request gives no spec (or leaves fields out).</summary>
    public DefaultSpec DefaultSpec { get; set; } = new();
    public ExpirySettings Expiry { get; set; } = new();
}

public sealed class DefaultSpec
{
    public int CpuCores { get; set; } = 1;
    public int MemoryMb { get; set; } = 1024;
    public int DiskGb { get; set; } = 10;
    public string ImageId { get; set; } = "ubuntu-24.04";
}

public sealed class ExpirySettings
{
    /// <summary>
    /// Longest sleep between two looks at the next lease end. The loop sleeps until the next end it
    /// knows of, but never longer than this, so ends written by other replicas are picked up in time.
    /// </summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(200);
    /// <summary>
    /// Passes start at most this often. When ends come many a second, each pass then takes all the leases
    /// ended since the last one in one transaction instead of one transaction per lease, for at most this much lag.
    /// </summary>
    public TimeSpan MinPassInterval { get; set; } = TimeSpan.FromMilliseconds(50);
    /// <summary>Leases ended in one transaction.</summary>
    public int BatchSize { get; set; } = 500;
}
