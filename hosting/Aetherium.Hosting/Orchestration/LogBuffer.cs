namespace Aetherium.Hosting.Orchestration;

public sealed record LogLine(long Sequence, DateTimeOffset Timestamp, bool IsError, string Text);

/// <summary>The last lines a resource printed (a ring buffer), with live subscribers for "follow".</summary>
public sealed class LogBuffer(int capacity = 5000)
{
    private readonly LinkedList<LogLine> _lines = new();
    private readonly List<Action<LogLine>> _subscribers = [];
    private long _sequence;

    public void Add(string text, bool isError)
    {
        LogLine line;
        Action<LogLine>[] subscribers;
        lock (_lines)
        {
            line = new LogLine(++_sequence, DateTimeOffset.UtcNow, isError, text);
            _lines.AddLast(line);
            if (_lines.Count > capacity) _lines.RemoveFirst();
            subscribers = [.. _subscribers];
        }
        foreach (var s in subscribers) s(line);
    }

    /// <summary>Lines after <paramref name="afterSequence"/>, optionally only those containing <paramref name="search"/>.</summary>
    public IReadOnlyList<LogLine> Snapshot(long afterSequence = 0, string? search = null)
    {
        lock (_lines)
            return _lines.Where(l => l.Sequence > afterSequence && (search is null || l.Text.Contains(search, StringComparison.OrdinalIgnoreCase))).ToList();
    }

    public IDisposable Subscribe(Action<LogLine> onLine)
    {
        lock (_lines) _subscribers.Add(onLine);
        return new Unsubscriber(() => { lock (_lines) _subscribers.Remove(onLine); });
    }

    public override string ToString() => string.Join('\n', Snapshot().Select(l => l.Text));

    private sealed class Unsubscriber(Action dispose) : IDisposable
    {
        public void Dispose() => dispose();
    }
}
