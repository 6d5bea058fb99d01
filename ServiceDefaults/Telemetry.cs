using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Aetherium.ServiceDefaults;

/// <summary>The project's own ActivitySource and Meter, exported beside the framework's.</summary>
public static class Telemetry
{
    public const string ActivitySourceName = "Aetherium";
    public const string MeterName = "Aetherium";
    public static readonly ActivitySource Source = new(ActivitySourceName);
    public static readonly Meter Meter = new(MeterName);
}
