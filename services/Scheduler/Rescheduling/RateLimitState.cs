namespace Aetherium.Scheduler.Rescheduling;

/// <summary>A token bucket shared by the replicas (one row per limit).</summary>
public sealed class RateLimitState
{
    public const string Reschedule = "reschedule";
    public string Name { get; set; } = "";
    public double Tokens { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}
