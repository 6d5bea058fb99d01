namespace Aetherium.Lease.Pricing;

/// <summary>Prices per hour of each resource; a lease pays the sum over its VMs' spec.</summary>
public sealed class PricingTier
{
    public const string Standard = "standard";
    public const string Gpu = "gpu";

    public required string Id { get; set; }
    public required string Name { get; set; }
    public decimal PricePerVcpuHour { get; set; }
    public decimal PricePerGbMemoryHour { get; set; }
    public decimal PricePerGbDiskHour { get; set; }
    public decimal PricePerGpuHour { get; set; }
    public required string Currency { get; set; }
}
