using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Threading.Channels;
using Aetherium.Hosting;
using Aetherium.Hosting.Orchestration;

namespace Aetherium.AppHost.Dashboard;

public sealed record ConsoleLine(long Sequence, DateTimeOffset Time, bool Error, string Text);
public sealed record ConsoleLines(string Resource, IReadOnlyList<ConsoleLine> Lines, int Total);

/// <summary>
/// Each instance's console output from its LogBuffer: a page of lines (searchable), and a live follow over
/// server-sent events (what was there, then every new line as it is printed).
/// </summary>
internal static partial class ConsoleLogsApi
{
    public static void Map(WebApplication web, DistributedApplication app)
    {
        web.MapGet("/api/console/{instance}", (string instance, string? search, long? after, int? limit) =>
        {
            if (Find(app, instance) is not { } found) return NotFound(instance);
            var lines = found.Logs.Snapshot(after ?? 0, Blank(search)).TakeLast(Math.Clamp(limit ?? 1000, 1, 5000)).Select(Line).ToList();
            return TypedResults.Ok(new ConsoleLines(found.Name, lines, lines.Count));
        });

        web.MapGet("/api/console/{instance}/stream", async (HttpContext context, string instance, string? search, long? after) =>
        {
            if (Find(app, instance) is not { } found)
            {
                await NotFound(instance).ExecuteAsync(context);
                return;
            }
            search = Blank(search);
            var ct = context.RequestAborted;
            var live = Channel.CreateBounded<LogLine>(new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.DropOldest });
            // Subscribe before the snapshot, so no line falls between them; the sequence drops duplicates.
            using var subscription = found.Logs.Subscribe(l => live.Writer.TryWrite(l));
            context.Response.ContentType = "text/event-stream";
            context.Response.Headers.CacheControl = "no-cache";
            // EventSource reconnects with Last-Event-ID: continue after it.
            var last = long.TryParse(context.Request.Headers["Last-Event-ID"], out var resumed) ? resumed : after ?? 0;
            foreach (var line in found.Logs.Snapshot(last, search).TakeLast(2000))
                last = await SendAsync(context, line, ct);
            await context.Response.Body.FlushAsync(ct);
            try
            {
                while (!ct.IsCancellationRequested)
                {
                    using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    wait.CancelAfter(TimeSpan.FromSeconds(15));
                    try
                    {
                        await live.Reader.WaitToReadAsync(wait.Token);
                    }
                    catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                    {
                        await context.Response.WriteAsync(": keep-alive\n\n", ct); // proxies close idle streams
                        await context.Response.Body.FlushAsync(ct);
                        continue;
                    }
                    while (live.Reader.TryRead(out var line))
                        if (line.Sequence > last && (search is null || line.Text.Contains(search, StringComparison.OrdinalIgnoreCase)))
                            last = await SendAsync(context, line, ct);
                    await context.Response.Body.FlushAsync(ct);
                }
            }
            catch (OperationCanceledException) { } // the browser went away
        });
    }

    private static async Task<long> SendAsync(HttpContext context, LogLine line, CancellationToken ct)
    {
        await context.Response.WriteAsync($"id: {line.Sequence}\ndata: {JsonSerializer.Serialize(Line(line), DashboardJson.Options)}\n\n", ct);
        return line.Sequence;
    }

    private static ResourceInstance? Find(DistributedApplication app, string name) => app.Instances.FirstOrDefault(i => i.Name == name);

    private static IResult NotFound(string instance) => TypedResults.Problem($"No resource named '{instance}'.", statusCode: StatusCodes.Status404NotFound);

    private static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s;

    /// <summary>Services colour their console output (ANSI escapes); the page shows plain text.</summary>
    private static ConsoleLine Line(LogLine l) => new(l.Sequence, l.Timestamp, l.IsError, Ansi().Replace(l.Text, ""));

    [GeneratedRegex(@"\x1b\[[0-9;?]*[A-Za-z]")]
    private static partial Regex Ansi();
}
