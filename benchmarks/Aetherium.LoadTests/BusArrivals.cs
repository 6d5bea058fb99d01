using System.Collections.Concurrent;
using Aetherium.ServiceDefaults.Messaging;
using MassTransit;

namespace Aetherium.LoadTests;

/// <summary>
/// Plays another service's side of the bus for one message type: the arrival time of the first message
/// per key (a VM id), and how many came again for a key already seen.
/// </summary>
public sealed class BusArrivals<T> : IAsyncDisposable where T : class
{
    private readonly ConcurrentDictionary<Guid, DateTimeOffset> _first = new();
    private int _duplicates;
    private IBusControl _bus = null!;

    private BusArrivals()
    {
    }

    public int Duplicates => _duplicates;
    public int Count => _first.Count;

    public DateTimeOffset? Received(Guid key) => _first.TryGetValue(key, out var t) ? t : null;

    public static async Task<BusArrivals<T>> StartAsync(string amqp, Func<T, Guid> key, string name)
    {
        var self = new BusArrivals<T>();
        var address = AmqpAddress.Parse(amqp);
        self._bus = Bus.Factory.CreateUsingRabbitMq(cfg =>
        {
            cfg.Host(address.Host, address.Port, address.VirtualHost, h =>
            {
                h.Username(address.Username);
                h.Password(address.Password);
            });
            cfg.ReceiveEndpoint($"bench-{name}-{Guid.NewGuid():N}", e =>
            {
                e.AutoDelete = true;
                e.PrefetchCount = 256;
                e.Handler<T>(ctx =>
                {
                    if (!self._first.TryAdd(key(ctx.Message), DateTimeOffset.UtcNow)) Interlocked.Increment(ref self._duplicates);
                    return Task.CompletedTask;
                });
            });
        });
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await self._bus.StartAsync(cts.Token);
        return self;
    }

    public async ValueTask DisposeAsync() => await _bus.StopAsync();
}
