using System.Diagnostics.Metrics;
using Aetherium.ServiceDefaults;

namespace Aetherium.Gateway.Live;

/// <summary>The live stream's figures, on the project's meter.</summary>
public static class LiveMetrics
{
    public static readonly Counter<long> Dropped = Telemetry.Meter.CreateCounter<long>(
        "aetherium.gateway.live.dropped", description: "Live connections closed because the client fell too far behind");

    public static void ObserveConnections(Func<int> connections) =>
        Telemetry.Meter.CreateObservableUpDownCounter("aetherium.gateway.live.connections", connections,
            description: "Open live connections (server-sent events and SignalR)");
}
