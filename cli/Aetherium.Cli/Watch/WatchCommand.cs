using System.CommandLine;
using System.Net.ServerSentEvents;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Aetherium.Cli.Watch;

/// <summary>
/// watch: the gateway's live stream (GET /api/v1/events, server-sent events; live-contract.md). Prints the
/// snapshot it starts with, then one line per event; --json prints each as a JSON line. A lost connection
/// is opened again (the server then sends a fresh snapshot, so nothing is missed silently).
/// </summary>
public static class WatchCommand
{
    private static readonly TimeSpan IdleLimit = TimeSpan.FromSeconds(45);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);

    public static Command Build(Terminal terminal, GlobalOptions options)
    {
        var count = Arguments.Value<int>("--count", "Exit after this many events (the snapshot not counted)");
        var types = new Option<string[]>("--type")
        {
            Description = "Only events of this type, or of types starting with it (e.g. vm. or lease.created); repeatable",
        };
        var command = new Command("watch", "Follow worker, VM and lease events as they happen (Ctrl+C to stop)") { count, types };
        return command.Runs(terminal, options, async (i, ct) =>
        {
            var limit = i.Get(count);
            if (limit is <= 0) throw new CliException("--count must be at least 1", ExitCodes.Usage);
            var filter = i.Get(types) ?? [];
            var seen = 0;
            var backoff = TimeSpan.FromSeconds(1);
            var connected = false;
            while (true)
            {
                try
                {
                    using var response = await i.Gateway().OpenStreamAsync("api/v1/events", "text/event-stream", ct);
                    connected = true;
                    backoff = TimeSpan.FromSeconds(1);
                    await using var body = new IdleTimeoutStream(await response.Content.ReadAsStreamAsync(ct), IdleLimit);
                    await foreach (var item in SseParser.Create(body).EnumerateAsync(ct))
                    {
                        if (!Print(i, item, filter)) continue;
                        if (++seen == limit) return ExitCodes.Ok;
                    }
                    terminal.Error.WriteLine("watch: the gateway closed the stream; reconnecting");
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    return ExitCodes.Ok; // Ctrl+C is how a watch ends
                }
                catch (CliException ex) when (Transient(ex, connected))
                {
                    terminal.Error.WriteLine($"watch: {ex.Message}; retrying in {backoff.TotalSeconds:0} s");
                }
                catch (Exception ex) when (connected && ex is IOException or HttpRequestException)
                {
                    terminal.Error.WriteLine($"watch: the stream broke ({ex.Message}); reconnecting in {backoff.TotalSeconds:0} s");
                }
                try { await Task.Delay(backoff, ct); }
                catch (OperationCanceledException) { return ExitCodes.Ok; }
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
            }
        });
    }

    /// <summary>
    /// Worth another try: the stream is briefly unavailable (503, 429, other 5xx), or the gateway went away
    /// after the watch had started. A first connection that cannot be made is reported, not retried.
    /// </summary>
    private static bool Transient(CliException ex, bool connected) => ex switch
    {
        ApiException api => api.Status is 429 or >= 500,
        _ => connected && ex.ExitCode == ExitCodes.Unreachable,
    };

    /// <summary>Prints one stream item; true when it was an event that counts (not the snapshot, not filtered out).</summary>
    private static bool Print(Invocation i, SseItem<string> item, string[] filter)
    {
        JsonNode? data;
        try { data = JsonNode.Parse(item.Data); }
        catch (JsonException) { return false; } // not ours to show; the contract sends JSON only
        if (data is null) return false;
        if (item.EventType == "snapshot")
        {
            i.Out.WriteLine(i.Json
                ? new JsonObject { ["type"] = "snapshot", ["data"] = data }.ToJsonString(Json.Compact)
                : EventLine.Snapshot(data));
            i.Out.Flush();
            return false;
        }
        var type = data["type"]?.GetValue<string>() ?? item.EventType;
        if (filter.Length > 0 && !filter.Any(f => type == f || (f.EndsWith('.') && type.StartsWith(f, StringComparison.Ordinal)))) return false;
        i.Out.WriteLine(i.Json ? data.ToJsonString(Json.Compact) : EventLine.Format(data));
        i.Out.Flush();
        return true;
    }
}
