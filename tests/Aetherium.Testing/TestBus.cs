using System.Collections.Concurrent;
using Aetherium.ServiceDefaults.Messaging;
using MassTransit;

namespace Aetherium.Testing;

/// <summary>
/// A bus on a test's virtual host that plays the other services: it publishes what they would
/// publish and records every message of the given types that the service under test sends.
/// <code>await using var bus = await TestBus.StartAsync(amqp, typeof(CreateVm)); await bus.WaitForAsync&lt;CreateVm&gt;(m => ...);</code>
/// </summary>
public sealed class TestBus : IAsyncDisposable
{
    private readonly IBusControl _bus;
    private readonly ConcurrentQueue<(object Message, Guid? MessageId)> _received = new();
    private readonly SemaphoreSlim _arrived = new(0);

    private TestBus(IBusControl bus) => _bus = bus;

    public IBus Bus => _bus;

    public static async Task<TestBus> StartAsync(string amqpUri, params Type[] observe)
    {
        TestBus? self = null;
        var address = AmqpAddress.Parse(amqpUri);
        var bus = MassTransit.Bus.Factory.CreateUsingRabbitMq(cfg =>
        {
            cfg.Host(address.Host, address.Port, address.VirtualHost, h =>
            {
                h.Username(address.Username);
                h.Password(address.Password);
            });
            if (observe.Length > 0)
            {
                cfg.ReceiveEndpoint($"test-observer-{Guid.NewGuid():N}", e =>
                {
                    e.AutoDelete = true;
                    e.Durable = false;
                    foreach (var type in observe)
                    {
                        var method = typeof(TestBus).GetMethod(nameof(AddHandler), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!
                            .MakeGenericMethod(type);
                        method.Invoke(null, [e, (Action<object, Guid?>)((m, id) => self!.Record(m, id))]);
                    }
                });
            }
        });
        self = new TestBus(bus);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await bus.StartAsync(cts.Token);
        return self;
    }

    private static void AddHandler<T>(IRabbitMqReceiveEndpointConfigurator e, Action<object, Guid?> record) where T : class =>
        e.Handler<T>(ctx =>
        {
            record(ctx.Message, ctx.MessageId);
            return Task.CompletedTask;
        });

    private void Record(object message, Guid? id)
    {
        _received.Enqueue((message, id));
        _arrived.Release();
    }

    public Task PublishAsync<T>(T message, Guid? messageId = null) where T : class =>
        _bus.Publish(message, ctx => ctx.MessageId = messageId ?? Guid.NewGuid());

    /// <summary>Every message of type T received so far.</summary>
    public IReadOnlyList<T> Received<T>() => _received.Select(r => r.Message).OfType<T>().ToList();

    /// <summary>Waits for a message of type T matching <paramref name="match"/>; throws TimeoutException with what did arrive.</summary>
    public async Task<T> WaitForAsync<T>(Func<T, bool>? match = null, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (true)
        {
            var found = _received.Select(r => r.Message).OfType<T>().FirstOrDefault(m => match?.Invoke(m) ?? true);
            if (found is not null) return found;
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
                throw new TimeoutException($"No matching {typeof(T).Name} within the timeout; received: {string.Join(", ", _received.Select(r => r.Message.GetType().Name))}");
            await _arrived.WaitAsync(left < TimeSpan.FromMilliseconds(200) ? left : TimeSpan.FromMilliseconds(200));
        }
    }

    public async ValueTask DisposeAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try { await _bus.StopAsync(cts.Token); } catch (OperationCanceledException) { }
    }
}
