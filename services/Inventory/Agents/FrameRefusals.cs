using System.Collections.Concurrent;

namespace Aetherium.Inventory.Agents;

/// <summary>
/// Logs the agent frames refused for a bad field (a control character, an out-of-range figure): the
/// worker, the frame type and the field, never the value (it may be anything, a secret included). At
/// most one line per worker a minute, with how many more were refused meanwhile, so a hostile agent
/// cannot flood the log; one entry per misbehaving worker is all it keeps.
/// </summary>
public sealed class FrameRefusals(ILogger<FrameRefusals> log, TimeProvider clock)
{
    public static readonly TimeSpan Quiet = TimeSpan.FromMinutes(1);
    private readonly ConcurrentDictionary<Guid, Entry> _workers = new();

    public void Report(Guid workerId, string frameType, string field, string problem)
    {
        var now = clock.GetTimestamp();
        var entry = _workers.GetOrAdd(workerId, _ => new Entry());
        long suppressed;
        lock (entry)
        {
            if (entry.LoggedAt != 0 && clock.GetElapsedTime(entry.LoggedAt, now) < Quiet)
            {
                entry.Suppressed++;
                return;
            }
            suppressed = entry.Suppressed;
            entry.Suppressed = 0;
            entry.LoggedAt = now;
        }
        log.LogWarning("Refused a {FrameType} frame from worker {WorkerId}: {Field} {Problem} ({Suppressed} more refused since the last report)",
            frameType, workerId, field, problem, suppressed);
    }

    private sealed class Entry
    {
        public long LoggedAt;
        public long Suppressed;
    }
}
