namespace Aetherium.Inventory;

/// <summary>Configuration section <c>Inventory</c>. Durations are TimeSpans ("00:00:10" = 10 s).</summary>
public sealed class InventoryOptions
{
    public const string Section = "Inventory";

    /// <summary>The gateway's public URL: install scripts download the agent from it and point the agent at it.</summary>
    public string? PublicUrl { get; set; }

    /// <summary>How often agents send TELEMETRY_HEARTBEAT (told to them in REGISTER_ACK).</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often agents send TELEMETRY_METRICS.</summary>
    public TimeSpan MetricsInterval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>A worker whose last heartbeat is older than this is offline (DESIGN §5, §11).</summary>
    public TimeSpan OfflineTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// For this long after a replica becomes the offline detector (an inventory or control-plane restart), no
    /// worker it has not seen since is marked offline, so agents can reconnect first. Defaults to
    /// <see cref="OfflineTimeout"/> plus the agents' longest reconnect delay (60 s, DESIGN §6): an agent whose
    /// backoff grew during a long outage still comes back in time.
    /// </summary>
    public TimeSpan? RestartGracePeriod { get; set; }

    /// <summary>The agent's reconnect backoff ceiling (agent/Connection/Backoff.cs).</summary>
    public static readonly TimeSpan AgentReconnectCeiling = TimeSpan.FromSeconds(60);

    /// <summary>How often the in-memory heartbeat state is written to the database (one statement per batch).</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How long metrics samples are kept.</summary>
    public TimeSpan MetricsRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Most samples one GET /workers/{id}/metrics returns; the rest are paged with next_from.</summary>
    public int MetricsMaxPoints { get; set; } = 1000;

    /// <summary>How often a replica that is not the offline detector tries to become it.</summary>
    public TimeSpan LeaderPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan GracePeriod => RestartGracePeriod ?? OfflineTimeout + AgentReconnectCeiling;

    /// <summary>The detector's tick: a quarter of the timeout, between 50 ms and 1 s.</summary>
    public TimeSpan DetectorTick => TimeSpan.FromTicks(Math.Clamp(OfflineTimeout.Ticks / 4, TimeSpan.FromMilliseconds(50).Ticks, TimeSpan.FromSeconds(1).Ticks));
}
