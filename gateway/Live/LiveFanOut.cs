using System.Security.Claims;
using System.Threading.Channels;
using Aetherium.ServiceDefaults.Auth;
using Microsoft.Extensions.Options;

namespace Aetherium.Gateway.Live;

/// <summary>
/// Hands each bus event to every connection allowed to see it: its organisation's, or all for admins. Each
/// connection has a bounded buffer of its own; publishing never waits for a client, and a connection whose
/// buffer is full is dropped (its client reconnects to a fresh snapshot), so a slow client costs nobody else.
/// </summary>
public sealed class LiveFanOut
{
    private readonly object _gate = new();
    private readonly LiveOptions _options;
    private readonly ILogger<LiveFanOut> _log;
    private readonly RecentIds _recent = new(10_000);
    private LiveSubscription[] _subscriptions = [];
    private TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public LiveFanOut(IOptions<LiveOptions> options, ILogger<LiveFanOut> log)
    {
        _options = options.Value;
        _log = log;
        LiveMetrics.ObserveConnections(() => Connections);
    }

    public int Connections => Volatile.Read(ref _subscriptions).Length;

    /// <summary>
    /// Starts buffering the events <paramref name="user"/> may see. Under the same lock as <see cref="Publish"/>:
    /// every event is either before the subscription or in its buffer.
    /// </summary>
    public LiveSubscription Subscribe(ClaimsPrincipal user)
    {
        var subscription = new LiveSubscription(this, user.IsAdmin() ? null : user.OrganizationId(), _options.BufferSize);
        lock (_gate) _subscriptions = [.. _subscriptions, subscription];
        return subscription;
    }

    /// <summary>One bus event; a redelivery of a message already fanned out (same MessageId) is left out.</summary>
    public void Publish(Guid? messageId, LiveEvent e)
    {
        lock (_gate)
        {
            if (messageId is { } id && !_recent.Add(id)) return;
            foreach (var subscription in _subscriptions)
                if (subscription.Sees(e) && !subscription.Offer(e))
                {
                    _log.LogWarning("Live connection dropped: {Capacity} events waiting, the client reads too slowly", _options.BufferSize);
                    LiveMetrics.Dropped.Add(1);
                    subscription.Drop();
                }
        }
    }

    /// <summary>The gateway's queue is consuming: new connections can be served.</summary>
    public void Ready()
    {
        lock (_gate) _ready.TrySetResult();
    }

    /// <summary>
    /// The gateway's queue stopped consuming (broker lost, shutdown). Its events are lost to every connection,
    /// so all are dropped: their clients reconnect and start again from a fresh snapshot, without a gap.
    /// </summary>
    public void Interrupted()
    {
        LiveSubscription[] dropped;
        lock (_gate)
        {
            if (_ready.Task.IsCompleted) _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
            dropped = _subscriptions;
        }
        if (dropped.Length > 0) _log.LogWarning("Live queue interrupted: {Count} connections dropped", dropped.Length);
        foreach (var subscription in dropped) subscription.Drop();
    }

    /// <summary>False when the queue was not consuming within <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitReadyAsync(CancellationToken ct)
    {
        Task ready;
        lock (_gate) ready = _ready.Task;
        try
        {
            await ready.WaitAsync(_options.ReadyTimeout, ct);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    internal void Remove(LiveSubscription subscription)
    {
        lock (_gate) _subscriptions = Array.FindAll(_subscriptions, s => s != subscription);
    }

    /// <summary>The last N message ids, oldest forgotten first. Used under the fan-out's lock.</summary>
    private sealed class RecentIds(int capacity)
    {
        private readonly HashSet<Guid> _set = [];
        private readonly Queue<Guid> _order = new();

        public bool Add(Guid id)
        {
            if (!_set.Add(id)) return false;
            _order.Enqueue(id);
            if (_order.Count > capacity) _set.Remove(_order.Dequeue());
            return true;
        }
    }
}

/// <summary>One connection's view of the fan-out: its buffered events, and a token that fires when it is dropped.</summary>
public sealed class LiveSubscription : IDisposable
{
    private readonly LiveFanOut _fanOut;
    private readonly Guid? _organization;
    private readonly Channel<LiveEvent> _channel;
    private readonly CancellationTokenSource _dropped = new();

    internal LiveSubscription(LiveFanOut fanOut, Guid? organization, int capacity)
    {
        _fanOut = fanOut;
        _organization = organization;
        _channel = Channel.CreateBounded<LiveEvent>(new BoundedChannelOptions(capacity) { SingleReader = true, SingleWriter = true });
    }

    public ChannelReader<LiveEvent> Events => _channel.Reader;

    /// <summary>Cancelled when the connection must be closed: it fell behind, or the queue was interrupted.</summary>
    public CancellationToken Dropped => _dropped.Token;

    internal bool Sees(LiveEvent e) => _organization is null || e.OrganizationId == _organization;

    internal bool Offer(LiveEvent e) => _channel.Writer.TryWrite(e);

    internal void Drop()
    {
        _fanOut.Remove(this);
        _channel.Writer.TryComplete();
        // The connection's own close callbacks run elsewhere: the fan-out does not wait on a socket.
        ThreadPool.UnsafeQueueUserWorkItem(static cts => cts.Cancel(), _dropped, preferLocal: false);
    }

    public void Dispose()
    {
        _fanOut.Remove(this);
        _channel.Writer.TryComplete();
    }
}
