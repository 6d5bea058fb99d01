using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Aetherium.Contracts.Text;

namespace Aetherium.Contracts.Agent;

/// <summary>Frame types of the agent protocol (DESIGN §6).</summary>
public static class FrameTypes
{
    public const string ConnectionAck = "CONNECTION_ACK";
    public const string NodeRegister = "NODE_REGISTER";
    public const string RegisterAck = "REGISTER_ACK";
    public const string TelemetryHeartbeat = "TELEMETRY_HEARTBEAT";
    public const string TelemetryMetrics = "TELEMETRY_METRICS";
    public const string DesiredState = "DESIRED_STATE";
    /// <summary>Agent → server: the agent is shutting down on purpose (SIGTERM); not a failure.</summary>
    public const string NodeGoingAway = "NODE_GOING_AWAY";
}

public static class AckErrorCodes
{
    public const string WorkerNotFound = "WORKER_NOT_FOUND";
    public const string WorkerInactive = "WORKER_INACTIVE";
    public const string InvalidToken = "INVALID_TOKEN";
    public const string TokenExpired = "TOKEN_EXPIRED";
    public const string TokenRevoked = "TOKEN_REVOKED";
    public const string InternalError = "INTERNAL_ERROR";
    /// <summary>The agent sent a frame over AgentLimits.MaxFrameBytes (close 1009): its own fault, not the controller's; resending it cannot help.</summary>
    public const string FrameTooLarge = "FRAME_TOO_LARGE";
}

/// <summary>The envelope: {"type","message_id","timestamp","data"}.</summary>
public sealed record Frame(string Type, string MessageId, DateTimeOffset Timestamp, JsonNode? Data)
{
    public static Frame Create<T>(string type, T data) =>
        new(type, Guid.NewGuid().ToString("N"), DateTimeOffset.UtcNow, JsonSerializer.SerializeToNode(data, AgentJson.Options));

    public T? DataAs<T>() => Data is null ? default : Data.Deserialize<T>(AgentJson.Options);

    public byte[] ToUtf8() => JsonSerializer.SerializeToUtf8Bytes(this, AgentJson.Options);

    public static Frame? Parse(ReadOnlySpan<byte> utf8) => JsonSerializer.Deserialize<Frame>(utf8, AgentJson.Options);
}

/// <summary>snake_case JSON, as the REST API (DESIGN §5); every string read is checked by TextRules.</summary>
public static class AgentJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new CheckedStringConverter() },
    };
}

public sealed record AckError(string Code, string Message);

public sealed record ConnectionAckData(string Status, Guid? WorkerId, string ControllerId, string ServerVersion, AckError? Error = null);

public sealed record NodeRegisterData(
    string Hostname,
    string IpAddress,
    string? PublicIpAddress,
    string Os,
    int CpuCores,
    string CpuModel,
    long MemoryMb,
    long DiskGb,
    IReadOnlyList<GpuInfo> Gpus,
    string AgentVersion,
    IReadOnlyList<string> Runtimes,
    long UptimeSeconds,
    IReadOnlyList<string>? SupportedImages = null,
    string? Runtime = null);

public sealed record DesiredStateData(long Version, IReadOnlyList<DesiredVmData> Vms);

/// <summary>Access: the tenant's sign-in for the VM ("access":{"username","ssh_public_key"|"password_hash"}), when it has one.</summary>
public sealed record DesiredVmData(Guid VmId, string Name, string ImageId, int CpuCores, int MemoryMb, int DiskGb, int GpuCount, string PowerState,
    string? Command = null, int Port = 0, long Generation = 0, VmAccess? Access = null);

public sealed record RegisterAckData(string Status, Guid WorkerId, int HeartbeatIntervalMs, int MetricsIntervalMs, DesiredStateData Desired);

/// <summary>Restarts: how many times the driver restarted it after it died (restart policy).</summary>
public sealed record VmActualState(Guid VmId, string State, string? Reason = null, long DesiredVersion = 0, int Restarts = 0, long Generation = 0);

public sealed record HeartbeatData(
    double CpuUsagePercent,
    double MemoryUsagePercent,
    double DiskUsagePercent,
    long UptimeSeconds,
    IReadOnlyList<VmActualState> Vms,
    long DesiredVersion = 0);

public sealed record UsageFigures(double UsagePercent, long? TotalMb = null, long? UsedMb = null, int? Cores = null, double[]? LoadAverage = null);

public sealed record NetworkFigures(long BytesIn, long BytesOut);

public sealed record MetricsData(UsageFigures Cpu, UsageFigures Memory, UsageFigures Disk, NetworkFigures Network, IReadOnlyList<GpuInfo> Gpus);

/// <summary>VM power states in DESIRED_STATE and VM states the agent reports.</summary>
public static class PowerStates
{
    public const string Running = "running";
    public const string Stopped = "stopped";
}

public static class AgentVmStates
{
    public const string Provisioning = "provisioning";
    public const string Running = "running";
    public const string Stopped = "stopped";
    public const string Failed = "failed";
}
