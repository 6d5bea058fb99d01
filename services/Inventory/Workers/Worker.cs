using Aetherium.Contracts;
using Aetherium.Inventory.DesiredState;

namespace Aetherium.Inventory.Workers;

/// <summary>
/// A machine enrolled in the fleet. Created by its owner (pending), filled in by its agent's
/// NODE_REGISTER, kept current by heartbeats. <see cref="Version"/> grows on every change that other
/// services see (it is the <see cref="WorkerSnapshot.Version"/>) and guards concurrent writers.
/// </summary>
public sealed class Worker
{
    public Guid Id { get; set; }
    public Guid OrganizationId { get; set; }
    public Guid CreatedBy { get; set; }
    public required string Name { get; set; }
    public required string Zone { get; set; }
    public Dictionary<string, string> Labels { get; set; } = [];
    public List<string> Roles { get; set; } = [];
    public int MaxVms { get; set; }

    public required string Status { get; set; }
    /// <summary>What an offline worker returns to when its heartbeats resume (active or draining).</summary>
    public string? StatusBeforeOffline { get; set; }
    public string? StatusReason { get; set; }
    public DateTimeOffset StatusChangedAt { get; set; }
    public DateTimeOffset? DrainDeadline { get; set; }
    public int DrainMaxParallel { get; set; } = 1;

    // What the agent reported in NODE_REGISTER.
    public string? Hostname { get; set; }
    public string? IpAddress { get; set; }
    public string? PublicIpAddress { get; set; }
    public string? Os { get; set; }
    public int CpuCores { get; set; }
    public string? CpuModel { get; set; }
    public long MemoryMb { get; set; }
    public long DiskGb { get; set; }
    public List<GpuInfo> Gpus { get; set; } = [];
    public string? AgentVersion { get; set; }
    public List<string> Runtimes { get; set; } = [];
    public string? DefaultRuntime { get; set; }
    public List<string>? SupportedImages { get; set; }
    public DateTimeOffset? RegisteredAt { get; set; }
    /// <summary>When the agent's current run registered (seed 003's started_at).</summary>
    public DateTimeOffset? StartedAt { get; set; }

    // Latest heartbeat figures, written in batches by the telemetry flusher.
    public double CpuUsagePercent { get; set; }
    public double MemoryUsagePercent { get; set; }
    public double DiskUsagePercent { get; set; }
    /// <summary>The machine's uptime as the agent last reported it.</summary>
    public long UptimeSeconds { get; set; }
    public DateTimeOffset? LastHeartbeatAt { get; set; }
    /// <summary>The desired-state version the agent last said it has applied.</summary>
    public long AppliedDesiredVersion { get; set; }

    /// <summary>The live WebSocket session, if any (cleared when it ends).</summary>
    public Guid? SessionId { get; set; }

    public Guid? TokenId { get; set; }
    public DateTimeOffset? TokenGeneratedAt { get; set; }
    public DateTimeOffset? TokenExpiresAt { get; set; }
    public DateTimeOffset? TokenLastUsedAt { get; set; }

    public long Version { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public DateTimeOffset? DeletedAt { get; set; }

    public WorkerDesiredState? Desired { get; set; }

    /// <summary>Where tenants reach this worker's VMs: the public IP when the agent reports one.</summary>
    public string? Address => string.IsNullOrEmpty(PublicIpAddress) ? IpAddress : PublicIpAddress;

    /// <summary>Records a change others must see: the next snapshot carries a higher version.</summary>
    public void Touch(DateTimeOffset now)
    {
        Version++;
        UpdatedAt = now;
    }

    /// <summary>Moves to <paramref name="status"/>; returns the old status.</summary>
    public string MoveTo(string status, string? reason, DateTimeOffset now)
    {
        var old = Status;
        StatusBeforeOffline = status == WorkerStatus.Offline
            ? (old is WorkerStatus.Active or WorkerStatus.Draining ? old : StatusBeforeOffline)
            : null;
        // A drain survives an outage (the worker comes back draining); anything else ends it.
        var draining = status == WorkerStatus.Draining || (status == WorkerStatus.Offline && StatusBeforeOffline == WorkerStatus.Draining);
        if (!draining)
        {
            DrainDeadline = null;
            DrainMaxParallel = 1;
        }
        Status = status;
        StatusReason = reason;
        StatusChangedAt = now;
        Touch(now);
        return old;
    }

    public WorkerSnapshot ToSnapshot() => new(
        Id, OrganizationId, Name, Hostname, Address, Zone, Status,
        new Dictionary<string, string>(Labels), Runtimes.ToList(), CpuCores, MemoryMb, DiskGb, Gpus.ToList(), MaxVms, Version,
        DrainDeadline, DrainMaxParallel, SupportedImages?.ToList());
}
