using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Aetherium.Agent.Runtime.Qemu;

/// <summary>
/// The QEMU Machine Protocol over the VM's unix socket: greeting, capabilities negotiation, one
/// command, its answer (events in between are skipped). A connection per command: power control is rare.
/// </summary>
public static class Qmp
{
    public static async Task<JsonElement> ExecuteAsync(string socketPath, string command, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cts.Token);
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        await ReadAsync(reader, "QMP", cts.Token);
        await SendAsync(stream, "qmp_capabilities", cts.Token);
        await ReadAsync(reader, "return", cts.Token);
        await SendAsync(stream, command, cts.Token);
        return await ReadAsync(reader, "return", cts.Token);
    }

    private static Task SendAsync(Stream stream, string command, CancellationToken ct) =>
        stream.WriteAsync(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { execute = command }) + "\n"), ct).AsTask();

    /// <summary>The next message holding <paramref name="member"/>; an "error" answer throws.</summary>
    private static async Task<JsonElement> ReadAsync(StreamReader reader, string member, CancellationToken ct)
    {
        while (true)
        {
            var line = await reader.ReadLineAsync(ct) ?? throw new IOException("QMP connection closed");
            using var message = JsonDocument.Parse(line);
            if (message.RootElement.TryGetProperty("error", out var error))
                throw new IOException($"QMP error: {error.GetProperty("desc").GetString()}");
            if (message.RootElement.TryGetProperty(member, out var value)) return value.Clone();
        }
    }
}
