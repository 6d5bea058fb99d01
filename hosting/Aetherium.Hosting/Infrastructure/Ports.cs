using System.Net;
using System.Net.Sockets;

namespace Aetherium.Hosting.Infrastructure;

public static class Ports
{
    private static readonly HashSet<int> Handed = [];

    /// <summary>A free loopback TCP port, never the same twice in this process (two resources asking at once).</summary>
    public static int Free()
    {
        lock (Handed)
        {
            while (true)
            {
                using var l = new TcpListener(IPAddress.Loopback, 0);
                l.Start();
                var port = ((IPEndPoint)l.LocalEndpoint).Port;
                l.Stop();
                // RabbitMQ's distribution port defaults to AMQP + 20000; we set it, but stay low anyway.
                if (port < 45000 && Handed.Add(port)) return port;
            }
        }
    }

    public static async Task<bool> IsOpenAsync(int port, CancellationToken ct = default)
    {
        try
        {
            using var c = new TcpClient();
            await c.ConnectAsync(IPAddress.Loopback, port, ct);
            return true;
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException) { return false; }
    }
}
