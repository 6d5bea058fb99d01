using Aetherium.Contracts;

namespace Aetherium.Inventory.Workers;

/// <summary>A worker as the API shows it: DESIGN §12 / seed 003's fields first, then extras.</summary>
public sealed record WorkerResponse(
    Guid Id,
    string Name,
    string? Hostname,
    string? Address,
    string Zone,
    string Status,
    IReadOnlyDictionary<string, string> Labels,
    IReadOnlyList<string> Capabilities,
    int CpuCores,
    long MemoryMb,
    long DiskGb,
    IReadOnlyList<GpuInfo> Gpus,
    int UsedCpuCores,
    long UsedMemoryMb,
    long UsedDiskGb,
    double CpuUsagePercent,
    double MemoryUsagePercent,
    int VmCount,
    int MaxVms,
    DateTimeOffset? StartedAt,
    DateTimeOffset? LastSeen,
    string Uptime,
    bool IsHealthy,
    Guid OrganizationId,
    IReadOnlyList<string> Role,
    string? StatusReason,
    string? Os,
    string? CpuModel,
    string? AgentVersion,
    IReadOnlyList<string> Runtimes,
    string? DefaultRuntime,
    IReadOnlyList<string>? SupportedImages,
    string? IpAddress,
    string? PublicIpAddress,
    double DiskUsagePercent,
    long UptimeSeconds,
    bool WebsocketConnected,
    long DesiredVersion,
    long AppliedDesiredVersion,
    DateTimeOffset? DrainDeadline,
    int? DrainMaxParallel,
    TokenMetadata? TokenMetadata,
    DateTimeOffset? RegisteredAt,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    long Version);

public sealed record TokenMetadata(DateTimeOffset? TokenGeneratedAt, DateTimeOffset? TokenExpiresAt, DateTimeOffset? TokenLastUsedAt);

public sealed record WorkerList(IReadOnlyList<WorkerResponse> Workers, int Total, int Page, int Limit);

public sealed record WorkerVm(Guid Id, string Name, string Status, int Vcpus, int MemoryMb, int DiskGb, string ImageId, string PowerState,
    int Port, string? StatusReason, DateTimeOffset? ObservedAt);

public sealed record WorkerVms(Guid WorkerId, IReadOnlyList<WorkerVm> Vms, int Total, long DesiredVersion);

public sealed record StatusChangeResponse(Guid WorkerId, string Status, string Message, DateTimeOffset? Deadline = null, int? MaxParallel = null);

public static class WorkerViews
{
    public static WorkerResponse ToResponse(this Worker w, DateTimeOffset now, TimeSpan offlineTimeout)
    {
        var healthy = IsHealthy(w, now, offlineTimeout);
        var lastSeen = w.LastHeartbeatAt;
        var uptime = w.StartedAt is { } started && lastSeen is { } seen && seen > started ? seen - started : TimeSpan.Zero;
        return new WorkerResponse(
            w.Id, w.Name, w.Hostname, w.Address, w.Zone, w.Status, w.Labels, w.Runtimes, w.CpuCores, w.MemoryMb, w.DiskGb, w.Gpus,
            w.Desired?.UsedCpuCores ?? 0, w.Desired?.UsedMemoryMb ?? 0, w.Desired?.UsedDiskGb ?? 0,
            w.CpuUsagePercent, w.MemoryUsagePercent, w.Desired?.VmCount ?? 0, w.MaxVms,
            w.StartedAt, lastSeen, FormatUptime(uptime), healthy,
            w.OrganizationId, w.Roles, w.StatusReason, w.Os, w.CpuModel, w.AgentVersion, w.Runtimes, w.DefaultRuntime, w.SupportedImages,
            w.IpAddress, w.PublicIpAddress, w.DiskUsagePercent, w.UptimeSeconds,
            w.SessionId is not null && Recent(w.LastHeartbeatAt ?? w.TokenLastUsedAt, now, offlineTimeout),
            w.Desired?.Version ?? 0, w.AppliedDesiredVersion,
            w.DrainDeadline, w.Status == WorkerStatus.Draining ? w.DrainMaxParallel : null,
            w.TokenGeneratedAt is null ? null : new TokenMetadata(w.TokenGeneratedAt, w.TokenExpiresAt, w.TokenLastUsedAt),
            w.RegisteredAt, w.CreatedAt, w.UpdatedAt, w.Version);
    }

    /// <summary>Healthy while heartbeats arrive within the offline timeout (seed 003's health indicator).</summary>
    public static bool IsHealthy(Worker w, DateTimeOffset now, TimeSpan offlineTimeout) =>
        w.Status is not (WorkerStatus.Pending or WorkerStatus.Offline or WorkerStatus.Deleted) && Recent(w.LastHeartbeatAt, now, offlineTimeout);

    private static bool Recent(DateTimeOffset? at, DateTimeOffset now, TimeSpan window) => at is { } t && now - t <= window;

    /// <summary>Go-style durations as seed 003 shows them: "2h30m45s", "4m5s", "12s".</summary>
    public static string FormatUptime(TimeSpan t)
    {
        var total = (long)Math.Max(0, t.TotalSeconds);
        var h = total / 3600;
        var m = total % 3600 / 60;
        var s = total % 60;
        return h > 0 ? $"{h}h{m}m{s}s" : m > 0 ? $"{m}m{s}s" : $"{s}s";
    }
}
