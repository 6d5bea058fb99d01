using System.Text;
using Aetherium.Gateway.Edge;
using Microsoft.AspNetCore.Http.Features;

namespace Aetherium.Gateway.Live;

/// <summary>
/// SignalR answers its own refusals (no connection id, an unknown connection, a transport it does not take) as
/// text/plain. On the hub's paths this holds back a 4xx/5xx body SignalR writes and answers it as ProblemDetails
/// with SignalR's sentence as the detail, like every other error of the API. Successful answers (negotiate,
/// long polling, server-sent events) pass through untouched and unbuffered.
/// </summary>
public static class HubProblems
{
    public static async Task Middleware(HttpContext context, Func<Task> next)
    {
        if (!context.Request.Path.StartsWithSegments(LiveEndpoints.HubPath))
        {
            await next();
            return;
        }
        var original = context.Features.Get<IHttpResponseBodyFeature>()!;
        var body = new ErrorBody(context.Response, original.Stream);
        var wrapper = new StreamResponseBodyFeature(body, original);
        context.Features.Set<IHttpResponseBodyFeature>(wrapper);
        try
        {
            await next();
            // What SignalR wrote through the pipe and did not flush must not stay behind in it.
            if (wrapper.Writer.CanGetUnflushedBytes && wrapper.Writer.UnflushedBytes > 0) await wrapper.Writer.FlushAsync(context.RequestAborted);
        }
        finally
        {
            context.Features.Set(original);
        }
        if (body.HeldBack is not { } text) return;
        var status = context.Response.StatusCode;
        context.Response.ContentType = null;
        context.Response.ContentLength = null;
        await Problems.WriteAsync(context, status, status == StatusCodes.Status404NotFound ? "Not found" : "Live hub request refused",
            text.Length > 0 ? text : $"The live hub refused the request ({status}).");
    }

    /// <summary>Passes writes through, unless the response is an error that has not started: that body is kept back.</summary>
    private sealed class ErrorBody(HttpResponse response, Stream inner) : Stream
    {
        private MemoryStream? _held;
        private bool _decided;

        public string? HeldBack => _held is null ? null : Encoding.UTF8.GetString(_held.ToArray()).Trim();

        private Stream Target()
        {
            if (!_decided)
            {
                _decided = true;
                if (response.StatusCode >= 400 && !response.HasStarted) _held = new MemoryStream();
            }
            return (Stream?)_held ?? inner;
        }

        public override void Write(byte[] buffer, int offset, int count) => Target().Write(buffer, offset, count);
        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken ct) => Target().WriteAsync(buffer, offset, count, ct);
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default) => Target().WriteAsync(buffer, ct);
        public override void Flush() => Target().Flush();
        public override Task FlushAsync(CancellationToken ct) => Target().FlushAsync(ct);

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
