using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR.Client;
using Xunit.Sdk;

namespace Aetherium.Gateway.Tests.Live;

/// <summary>
/// One message of the live stream as a client received it: the snapshot or an event envelope (its JSON),
/// the SSE id, and when it arrived: on <see cref="LiveStream.Clock"/>, and by the wall clock (which the services
/// on this machine share, for the envelope's occurred_at). Comment lines come as type ":comment".
/// </summary>
public sealed record LiveMessage(long? Id, string Type, JsonObject Data, TimeSpan ReceivedAt)
{
    public DateTimeOffset ReceivedWallClock { get; } = DateTimeOffset.UtcNow;

    /// <summary>From the change, as the service that made it dated it, to this client.</summary>
    public TimeSpan SinceOccurred => ReceivedWallClock - Data["occurred_at"]!.GetValue<DateTimeOffset>();

    public string? OrganizationId => Data["organization_id"]?.GetValue<string>();
    public JsonObject Body => Data["data"]!.AsObject();
    public bool IsEvent => !Type.StartsWith(':') && Type != "snapshot";
}

/// <summary>A live connection as a client sees it, read message by message; every message read is kept in <see cref="Received"/>.</summary>
public abstract class LiveStream : IAsyncDisposable
{
    public static readonly Stopwatch Clock = Stopwatch.StartNew();
    protected readonly Channel<LiveMessage> Incoming = Channel.CreateUnbounded<LiveMessage>();

    public List<LiveMessage> Received { get; } = [];

    public IEnumerable<LiveMessage> Events => Received.Where(m => m.IsEvent);

    public async Task<LiveMessage> NextAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            var message = await Incoming.Reader.ReadAsync(cts.Token);
            Received.Add(message);
            return message;
        }
        catch (OperationCanceledException)
        {
            throw new XunitException($"no message within {timeout.TotalSeconds} s; received so far: {string.Join(", ", Received.Select(m => m.Type))}");
        }
        catch (ChannelClosedException)
        {
            throw new XunitException($"the stream ended; received: {string.Join(", ", Received.Select(m => m.Type))}");
        }
    }

    /// <summary>Reads until a message matches (the ones before it stay in <see cref="Received"/>).</summary>
    public async Task<LiveMessage> WaitForAsync(Func<LiveMessage, bool> match, string what, TimeSpan? timeout = null)
    {
        var until = Clock.Elapsed + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var left = until - Clock.Elapsed;
            if (left <= TimeSpan.Zero) throw new XunitException($"{what}: not received; received: {string.Join(", ", Received.Select(m => m.Type))}");
            var message = await NextAsync(left);
            if (match(message)) return message;
        }
    }

    public Task<LiveMessage> WaitForAsync(string type, Func<JsonObject, bool> match, string what, TimeSpan? timeout = null) =>
        WaitForAsync(m => m.Type == type && match(m.Body), what, timeout);

    /// <summary>
    /// A message already received that matches, else the next one that does: events that different services publish
    /// (lease's lease.created, the scheduler's vm.requested for the lease's VM) may reach the stream in either order.
    /// </summary>
    public async Task<LiveMessage> FindOrWaitAsync(string type, Func<JsonObject, bool> match, string what, TimeSpan? timeout = null) =>
        Received.FirstOrDefault(m => m.Type == type && match(m.Body)) ?? await WaitForAsync(type, match, what, timeout);

    /// <summary>True once the stream ended (the server closed it) within <paramref name="timeout"/>.</summary>
    public async Task<bool> EndsWithinAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            while (await Incoming.Reader.WaitToReadAsync(cts.Token))
                Received.Add(await Incoming.Reader.ReadAsync(cts.Token));
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public abstract ValueTask DisposeAsync();
}

/// <summary>GET /api/v1/events read as EventSource does: fields up to a blank line make a message.</summary>
public sealed class SseStream : LiveStream
{
    private readonly HttpClient _http;
    private readonly CancellationTokenSource _stop = new();
    private Task _reading = Task.CompletedTask;

    private SseStream(HttpClient http) => _http = http;

    /// <summary>Opens the stream with the token in the Authorization header or, as a browser must, in the query string.</summary>
    public static async Task<SseStream> OpenAsync(Uri gateway, string token, bool tokenInQuery = false, string? traceParent = null)
    {
        var stream = new SseStream(new HttpClient { BaseAddress = gateway, Timeout = Timeout.InfiniteTimeSpan });
        using var request = new HttpRequestMessage(HttpMethod.Get, tokenInQuery ? $"/api/v1/events?access_token={Uri.EscapeDataString(token)}" : "/api/v1/events");
        if (!tokenInQuery) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (traceParent is not null) request.Headers.Add("traceparent", traceParent);
        var response = await stream._http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        if (!response.IsSuccessStatusCode)
            throw new XunitException($"GET /api/v1/events answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        if (response.Content.Headers.ContentType?.MediaType != "text/event-stream")
            throw new XunitException($"GET /api/v1/events answered {response.Content.Headers.ContentType}");
        stream._reading = stream.ReadAsync(response);
        return stream;
    }

    private async Task ReadAsync(HttpResponseMessage response)
    {
        try
        {
            using var _ = response;
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(_stop.Token));
            long? id = null;
            string? type = null, data = null;
            while (await reader.ReadLineAsync(_stop.Token) is { } line)
            {
                if (line.Length == 0)
                {
                    if (data is not null)
                        Incoming.Writer.TryWrite(new LiveMessage(id, type ?? "message", JsonNode.Parse(data)!.AsObject(), Clock.Elapsed));
                    (id, type, data) = (null, null, null);
                }
                else if (line.StartsWith(':')) Incoming.Writer.TryWrite(new LiveMessage(null, ":comment", new JsonObject { ["text"] = line[1..].Trim() }, Clock.Elapsed));
                else if (line.StartsWith("id: ")) id = long.Parse(line[4..]);
                else if (line.StartsWith("event: ")) type = line[7..];
                else if (line.StartsWith("data: ")) data = data is null ? line[6..] : data + "\n" + line[6..];
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or HttpRequestException) { }
        finally { Incoming.Writer.TryComplete(); }
    }

    public override async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _reading;
        _http.Dispose();
    }
}

/// <summary>The SignalR hub, through Microsoft's .NET client: <c>snapshot</c> and <c>event</c> become messages.</summary>
public sealed class HubStream : LiveStream
{
    private readonly HubConnection _connection;

    private HubStream(HubConnection connection)
    {
        _connection = connection;
        connection.On<JsonElement>("snapshot", s => Add("snapshot", s));
        connection.On<JsonElement>("event", e => Add(e.GetProperty("type").GetString()!, e));
        connection.Closed += _ =>
        {
            Incoming.Writer.TryComplete();
            return Task.CompletedTask;
        };
    }

    public HubConnectionState State => _connection.State;

    /// <summary>Connects with the token as the client's access token provider (a header), or in the hub URL's query string.</summary>
    public static async Task<HubStream> OpenAsync(Uri gateway, string token, bool tokenInQuery = false)
    {
        var url = new Uri(gateway, tokenInQuery ? $"/api/v1/hub?access_token={Uri.EscapeDataString(token)}" : "/api/v1/hub");
        var connection = new HubConnectionBuilder()
            .WithUrl(url, o =>
            {
                if (!tokenInQuery) o.AccessTokenProvider = () => Task.FromResult<string?>(token);
            })
            .Build();
        var stream = new HubStream(connection);
        await connection.StartAsync();
        return stream;
    }

    private void Add(string type, JsonElement json) =>
        Incoming.Writer.TryWrite(new LiveMessage(null, type, JsonNode.Parse(json.GetRawText())!.AsObject(), Clock.Elapsed));

    public override async ValueTask DisposeAsync() => await _connection.DisposeAsync();
}
