namespace Aetherium.Gateway.Live;

/// <summary>Configuration Gateway:Live:*.</summary>
public sealed class LiveOptions
{
    /// <summary>Events a connection may have waiting; a client that falls further behind is disconnected.</summary>
    public int BufferSize { get; set; } = 1024;

    /// <summary>How often a quiet server-sent-events stream gets a comment line, so proxies keep it open.</summary>
    public TimeSpan KeepAlive { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long a new connection waits for the gateway's queue to be consuming before it is refused.</summary>
    public TimeSpan ReadyTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
