using System.Diagnostics.Metrics;
using Aetherium.ServiceDefaults;

namespace Aetherium.Lease.Leases;

public static class LeaseMetrics
{
    public static readonly Counter<long> Created = Telemetry.Meter.CreateCounter<long>(
        "aetherium.lease.leases_created", "{lease}", "Leases rented");
    public static readonly Counter<long> Released = Telemetry.Meter.CreateCounter<long>(
        "aetherium.lease.leases_released", "{lease}", "Leases released by their tenant");
    public static readonly Counter<long> Expired = Telemetry.Meter.CreateCounter<long>(
        "aetherium.lease.leases_expired", "{lease}", "Leases expired at their end");
    /// <summary>DESIGN §9 target: VM deletion ordered within 1 s of the lease end.</summary>
    public static readonly Histogram<double> ExpiryLag = Telemetry.Meter.CreateHistogram<double>(
        "aetherium.lease.expiry_lag", "s", "Time from a lease's end to the commit that expires it and orders its VMs' deletion");
}
