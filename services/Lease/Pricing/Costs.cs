using Aetherium.Contracts;

namespace Aetherium.Lease.Pricing;

/// <summary>What a lease costs: its VMs' resources at its tier's hourly prices, times its duration.</summary>
public static class Costs
{
    /// <summary>Costs are kept to the millionth: a lease of a few seconds still costs something visible.</summary>
    public const int Decimals = 6;

    public static string TierFor(VmSpec spec) => spec.GpuCount > 0 ? PricingTier.Gpu : PricingTier.Standard;

    public static decimal Hourly(PricingTier tier, VmSpec spec, int count) =>
        Round(count * (spec.CpuCores * tier.PricePerVcpuHour
                       + spec.MemoryMb / 1024m * tier.PricePerGbMemoryHour
                       + spec.DiskGb * tier.PricePerGbDiskHour
                       + spec.GpuCount * tier.PricePerGpuHour));

    public static decimal For(decimal hourly, TimeSpan duration) =>
        Round(hourly * duration.Ticks / TimeSpan.TicksPerHour);

    private static decimal Round(decimal value) => Math.Round(value, Decimals, MidpointRounding.AwayFromZero);
}
