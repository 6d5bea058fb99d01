using System.Buffers;
using System.Text;
using System.Text.Json;
using Aetherium.Gateway.Edge;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace Aetherium.Gateway.Live;

/// <summary>
/// <c>GET /api/v1/events</c>: the live stream as server-sent events (the live contract). The snapshot first,
/// then one message per bus event with a per-connection sequence as its id, and a comment line when quiet.
/// </summary>
public static class LiveEndpoints
{
    public const string EventsPath = "/api/v1/events", HubPath = "/api/v1/hub";

    private static readonly byte[] KeepAlive = ": keep-alive\n\n"u8.ToArray();

    public static async Task StreamAsync(HttpContext http, LiveSessions sessions, IOptions<LiveOptions> options)
    {
        var ct = http.RequestAborted;
        LiveSession session;
        try
        {
            session = await sessions.OpenAsync(http.User, LiveSetup.BearerToken(http.Request), ct);
        }
        catch (LiveUnavailableException ex)
        {
            http.Response.Headers.RetryAfter = "2";
            await Problems.WriteAsync(http, StatusCodes.Status503ServiceUnavailable, "Live stream unavailable", ex.Message + " Retry shortly.", ct);
            return;
        }
        using var _ = session;
        // A dropped connection is closed at once: waiting to flush to a client that does not read would hold it.
        using var dropped = session.Subscription.Dropped.Register(http.Abort);

        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers["X-Accel-Buffering"] = "no"; // nginx and friends: pass each message on as written
        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        var body = http.Response.BodyWriter;
        try
        {
            Write(body, null, "snapshot", JsonSerializer.SerializeToUtf8Bytes(session.Snapshot, LiveEvent.JsonOptions));
            await body.FlushAsync(ct);

            var events = session.Subscription.Events;
            var sequence = 0L;
            Task<bool>? waiting = null;
            while (!ct.IsCancellationRequested)
            {
                while (events.TryRead(out var e)) Write(body, ++sequence, e.Type, e.Json);
                await body.FlushAsync(ct);
                waiting ??= events.WaitToReadAsync(ct).AsTask();
                try
                {
                    if (!await waiting.WaitAsync(options.Value.KeepAlive, ct)) return; // dropped: the connection is being aborted
                    waiting = null;
                }
                catch (TimeoutException)
                {
                    body.Write(KeepAlive); // quiet for a while; the same wait goes on
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // the client went away, or the connection was dropped
        }
    }

    /// <summary>One message: <c>id</c> (when numbered), <c>event</c>, and the JSON on one <c>data</c> line (it has no newlines).</summary>
    private static void Write(IBufferWriter<byte> body, long? id, string type, byte[] json)
    {
        if (id is { } n) Encoding.UTF8.GetBytes($"id: {n}\n", body);
        Encoding.UTF8.GetBytes($"event: {type}\ndata: ", body);
        body.Write(json);
        body.Write("\n\n"u8);
    }
}
