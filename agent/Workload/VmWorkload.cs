using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Aetherium.Agent.Facts;

namespace Aetherium.Agent.Workload;

/// <summary>
/// The built-in VM workload (`aetherium-agent vm --port P --name N`), run when a VM has no command:
/// it listens on the port on every interface and greets each connection with a line naming the VM,
/// so a tenant can really reach its VM at worker:port.
/// </summary>
public static class VmWorkload
{
    public static string Banner(string name, string? vmId, string hostname, int port) =>
        $"aetherium vm {name}{(vmId is null ? "" : $" ({vmId})")} on {hostname}:{port}\n";

    public static async Task<int> RunAsync(int port, string name, TextWriter output, CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            stop.Cancel();
        });
        TcpListener listener;
        try
        {
            listener = new TcpListener(IPAddress.IPv6Any, port);
            listener.Server.DualMode = true;
            listener.Start();
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.AddressFamilyNotSupported or SocketError.ProtocolNotSupported)
        {
            listener = new TcpListener(IPAddress.Any, port);
            listener.Start();
        }
        catch (SocketException e)
        {
            await output.WriteLineAsync($"aetherium vm {name}: cannot listen on port {port}: {e.Message}");
            return 1;
        }
        var actualPort = ((IPEndPoint)listener.LocalEndpoint).Port;
        var banner = Encoding.UTF8.GetBytes(Banner(name, Environment.GetEnvironmentVariable("AETHERIUM_VM_ID"), HostFacts.Hostname(), actualPort));
        await output.WriteLineAsync($"aetherium vm {name} listening on port {actualPort}");
        await output.FlushAsync(CancellationToken.None);
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var client = await listener.AcceptTcpClientAsync(stop.Token);
                _ = GreetAsync(client, banner);
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            listener.Stop();
        }
        await output.WriteLineAsync($"aetherium vm {name} stopping");
        return 0;
    }

    private static async Task GreetAsync(TcpClient client, byte[] banner)
    {
        using (client)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await client.GetStream().WriteAsync(banner, timeout.Token);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
            {
                // A client that left early is not the workload's problem.
            }
        }
    }
}
