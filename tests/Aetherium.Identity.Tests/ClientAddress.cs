using System.Net;
using System.Net.Sockets;

namespace Aetherium.Identity.Tests;

public static class ClientAddress
{
    /// <summary>A client of <paramref name="baseUrl"/> whose connections come from <paramref name="source"/> (any 127.x.y.z on Linux).</summary>
    public static HttpClient From(string baseUrl, string source) => new(new SocketsHttpHandler
    {
        ConnectCallback = async (context, ct) =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(IPAddress.Parse(source), 0));
            await socket.ConnectAsync(context.DnsEndPoint, ct);
            return new NetworkStream(socket, ownsSocket: true);
        },
    }) { BaseAddress = new Uri(baseUrl) };
}
