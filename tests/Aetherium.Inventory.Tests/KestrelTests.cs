using System.Net;
using System.Net.WebSockets;
using Aetherium.Contracts.Agent;
using Aetherium.Testing;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Aetherium.Inventory.Tests;

/// <summary>The agent protocol over a real socket (Kestrel and ClientWebSocket), not the in-memory test server.</summary>
public sealed class KestrelTests
{
    [Fact]
    public async Task An_agent_over_a_real_websocket_registers_heartbeats_and_receives_its_desired_state()
    {
        var settings = await InventoryFactory.NewSettingsAsync("inventorydb", "kestrel", InventoryFactory.Fast());
        await using var factory = new InventoryFactory(settings);
        factory.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        factory.StartServer();
        await factory.WaitHealthyAsync();
        var address = factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        using var api = new HttpClient { BaseAddress = new Uri(address) };
        api.DefaultRequestHeaders.Authorization = new("Bearer", Tenant.New().Token);
        var (id, token, _) = await api.EnrollAsync("real-socket");
        await using var bus = await TestBus.StartAsync(settings.MessagingConnectionString);

        using var ws = new ClientWebSocket();
        ws.Options.SetRequestHeader("Authorization", "Bearer " + token);
        await ws.ConnectAsync(new UriBuilder(new Uri(new Uri(address), "/api/v1/agent/connect")) { Scheme = "ws" }.Uri, CancellationToken.None);
        Assert.Equal("success", (await ReceiveAsync(ws)).DataAs<ConnectionAckData>()!.Status);
        await SendAsync(ws, Frame.Create(FrameTypes.NodeRegister, TestAgent.Facts("kestrel-host")));
        Assert.Equal("success", (await ReceiveAsync(ws)).DataAs<RegisterAckData>()!.Status);

        // Idle sessions wait without a buffer (zero-byte reads): frames arriving after a pause still come whole.
        await Task.Delay(500);
        await SendAsync(ws, Frame.Create(FrameTypes.TelemetryHeartbeat, new HeartbeatData(61.5, 20, 30, 10, [])));
        await Eventually.TrueAsync(async () => (double)(await api.WorkerAsync(id))["cpu_usage_percent"]! == 61.5);
        Assert.Equal("active", await api.StatusAsync(id));

        await bus.PublishAsync(new Contracts.WorkerDesiredStateChanged(id, 7, [], DateTimeOffset.UtcNow));
        Assert.Equal(7, (await ReceiveAsync(ws)).DataAs<DesiredStateData>()!.Version);
        await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
    }

    private static Task SendAsync(WebSocket ws, Frame frame) =>
        ws.SendAsync(frame.ToUtf8(), WebSocketMessageType.Text, true, CancellationToken.None);

    private static async Task<Frame> ReceiveAsync(WebSocket ws)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var buffer = new byte[1 << 16];
        using var message = new MemoryStream();
        ValueWebSocketReceiveResult r;
        do
        {
            r = await ws.ReceiveAsync(buffer.AsMemory(), timeout.Token);
            message.Write(buffer, 0, r.Count);
        } while (!r.EndOfMessage);
        return Frame.Parse(message.ToArray())!;
    }
}
