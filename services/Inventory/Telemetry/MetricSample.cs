namespace Aetherium.Inventory.Telemetry;

/// <summary>One TELEMETRY_METRICS frame as received (Data is its JSON), kept for the metrics history.</summary>
public sealed class MetricSample
{
    public long Id { get; set; }
    public Guid WorkerId { get; set; }
    public DateTimeOffset SampledAt { get; set; }
    public double CpuUsagePercent { get; set; }
    public double MemoryUsagePercent { get; set; }
    public double DiskUsagePercent { get; set; }
    public required string Data { get; set; }
}
