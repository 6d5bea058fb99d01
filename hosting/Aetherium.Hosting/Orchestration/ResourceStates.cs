namespace Aetherium.Hosting.Orchestration;

/// <summary>Aspire's resource state names (DESIGN §3 point 4).</summary>
public static class ResourceStates
{
    public const string NotStarted = "NotStarted";
    public const string Waiting = "Waiting";
    public const string Starting = "Starting";
    public const string Running = "Running";
    public const string Unhealthy = "Unhealthy";
    public const string Exited = "Exited";
    public const string FailedToStart = "FailedToStart";
    public const string Stopping = "Stopping";
}
