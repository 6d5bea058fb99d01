using MassTransit;

namespace Aetherium.Gateway.Live;

/// <summary>Tells the fan-out when the gateway's own queue starts consuming and when it stops (broker lost, shutdown).</summary>
public sealed class LiveEndpointObserver(LiveFanOut fanOut) : IReceiveEndpointObserver
{
    private static bool IsLive(Uri address) => address.AbsolutePath.EndsWith("/" + LiveSetup.QueueName, StringComparison.Ordinal);

    public Task Ready(ReceiveEndpointReady ready)
    {
        if (IsLive(ready.InputAddress)) fanOut.Ready();
        return Task.CompletedTask;
    }

    public Task Stopping(ReceiveEndpointStopping stopping)
    {
        if (IsLive(stopping.InputAddress)) fanOut.Interrupted();
        return Task.CompletedTask;
    }

    public Task Faulted(ReceiveEndpointFaulted faulted)
    {
        if (IsLive(faulted.InputAddress)) fanOut.Interrupted();
        return Task.CompletedTask;
    }

    public Task Completed(ReceiveEndpointCompleted completed) => Task.CompletedTask;
}
