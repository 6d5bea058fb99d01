using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Aetherium.Hosting;
using Aetherium.Hosting.ApplicationModel;
using Aetherium.Hosting.Orchestration;

namespace Aetherium.AppHost.Dashboard;

public sealed record QueueSample(DateTimeOffset Time, long Messages);
public sealed record QueueView(string Vhost, string Name, long Messages, long Ready, long Unacknowledged, int Consumers, IReadOnlyList<QueueSample> History);
public sealed record QueueList(bool Available, string? Reason, IReadOnlyList<QueueView> Queues, int Total);

/// <summary>
/// Queue depths of the private broker, read from its management API (<c>GET /api/queues</c>) every few seconds
/// and kept as a short history per queue. An external broker's API is not ours to poll: the page says so.
/// </summary>
internal sealed class QueueDepths(DistributedApplication app) : IAsyncDisposable
{
    private const int HistoryLength = 120; // 10 minutes at one sample per 5 s
    private const int MaxQueues = 500;
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(3) };
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _sampling = new(1, 1);
    private readonly Dictionary<(string, string), (QueueView Latest, Queue<QueueSample> History)> _queues = [];
    private DateTimeOffset _sampledAt = DateTimeOffset.MinValue;
    private string? _error;
    private Task _loop = Task.CompletedTask;

    private (RabbitMQServerResource Broker, ResourceInstance Instance)? Broker =>
        app.Instances.FirstOrDefault(i => i.Resource is RabbitMQServerResource) is { } instance
            ? ((RabbitMQServerResource)instance.Resource, instance)
            : null;

    public void Start() => _loop = Task.Run(async () =>
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await SampleAsync(_stop.Token);
                await Task.Delay(Interval, _stop.Token);
            }
            catch (OperationCanceledException) { return; }
        }
    });

    public async Task<QueueList> CurrentAsync(CancellationToken ct)
    {
        if (Unavailable() is { } reason) return new QueueList(false, reason, [], 0);
        // A page asking now should not see a sample up to 5 s old.
        if (DateTimeOffset.UtcNow - _sampledAt > TimeSpan.FromSeconds(2)) await SampleAsync(ct);
        lock (_queues)
        {
            var queues = _queues.Values.Select(q => q.Latest with { History = q.History.ToList() })
                .OrderByDescending(q => q.Messages).ThenBy(q => q.Name, StringComparer.Ordinal).ToList();
            return new QueueList(_error is null, _error, queues, queues.Count);
        }
    }

    private string? Unavailable() => Broker switch
    {
        null => "The app model has no RabbitMQ broker.",
        ({ IsExternal: true }, _) => "The broker is an existing server (a connection string): its queue depths are not read from here.",
        ({ Management: false }, _) => "The private broker runs without its management plugin, which serves queue depths.",
        (_, { State: not (ResourceStates.Running or ResourceStates.Unhealthy) } i) => $"The broker is {i.State}.",
        _ => null,
    };

    private async Task SampleAsync(CancellationToken ct)
    {
        if (Unavailable() is not null || Broker is not var (broker, _)) return;
        await _sampling.WaitAsync(ct);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get,
                $"http://127.0.0.1:{broker.ManagementPort}/api/queues?columns=vhost,name,messages,messages_ready,messages_unacknowledged,consumers");
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
                Convert.ToBase64String(Encoding.UTF8.GetBytes($"{broker.Username.Value}:{broker.Password.Value}")));
            using var response = await _http.SendAsync(request, ct);
            response.EnsureSuccessStatusCode();
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStreamAsync(ct));
            var now = DateTimeOffset.UtcNow;
            lock (_queues)
            {
                var seen = new HashSet<(string, string)>();
                foreach (var q in doc.RootElement.EnumerateArray().Take(MaxQueues))
                {
                    var key = (q.GetProperty("vhost").GetString() ?? "/", q.GetProperty("name").GetString() ?? "");
                    seen.Add(key);
                    var view = new QueueView(key.Item1, key.Item2, Long(q, "messages"), Long(q, "messages_ready"), Long(q, "messages_unacknowledged"),
                        (int)Long(q, "consumers"), []);
                    var history = _queues.TryGetValue(key, out var existing) ? existing.History : new Queue<QueueSample>();
                    history.Enqueue(new QueueSample(now, view.Messages));
                    while (history.Count > HistoryLength) history.Dequeue();
                    _queues[key] = (view, history);
                }
                foreach (var gone in _queues.Keys.Where(k => !seen.Contains(k)).ToList()) _queues.Remove(gone);
                _sampledAt = now;
                _error = null;
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException && !ct.IsCancellationRequested)
        {
            _error = "The broker's management API did not answer: " + ex.Message;
        }
        finally
        {
            _sampling.Release();
        }
    }

    // The management API leaves counters out until it has a first figure for a new queue.
    private static long Long(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt64() : 0;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try { await _loop; } catch (OperationCanceledException) { }
        _http.Dispose();
        _stop.Dispose();
    }
}
