namespace Aetherium.Inventory.Agents;

/// <summary>
/// PostgreSQL NOTIFY channels that reach every inventory replica, so the one holding an agent's
/// session acts on it: a new desired state to push, or a session to close.
/// </summary>
public static class SessionNotices
{
    /// <summary>Payload "{workerId}:{version}".</summary>
    public const string DesiredChannel = "inventory_desired_state";

    /// <summary>Payload "token:{tokenId}" or "worker:{workerId}:{ack error code}".</summary>
    public const string CloseChannel = "inventory_session_close";

    public static string Desired(Guid workerId, long version) => $"{workerId}:{version}";

    public static string CloseToken(Guid tokenId) => $"token:{tokenId}";

    public static string CloseWorker(Guid workerId, string code) => $"worker:{workerId}:{code}";
}
