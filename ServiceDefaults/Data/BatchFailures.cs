using System.Text.Json;
using Npgsql;

namespace Aetherium.ServiceDefaults.Data;

/// <summary>
/// What every batch writer (outbox relay, placement, evacuation, deletion sweep, lease expiry…) does when a
/// batch fails. A failure caused by one record's data — a value PostgreSQL refuses (SQLSTATE class 22, 23),
/// a stored value that cannot be read back (JSON, casts, formats, ranges) — would fail the same way on every
/// retry and hold the whole batch back for ever: the batch is split until the record is alone, the rest is
/// written, and the writer quarantines the record. Anything else (connection refused, timeouts, 40001/40P01,
/// a programming error) is not any record's fault: the whole batch is retried with back-off, as before.
/// </summary>
public static class BatchFailures
{
    /// <summary>True when <paramref name="error"/> (or an exception inside it) is a record's data, not the database, broker or code.</summary>
    public static bool IsDataError(Exception error) => DataError(error) is not null;

    /// <summary>The exception that makes <paramref name="error"/> a data error (its message names the problem), or null.</summary>
    public static Exception? DataError(Exception error)
    {
        Exception? data = null;
        foreach (var e in Chain(error))
        {
            switch (e)
            {
                case PostgresException pg when pg.SqlState.StartsWith("22") || pg.SqlState.StartsWith("23"):
                    data ??= pg;
                    break;
                // A timeout, a lost connection or a serialization failure anywhere in the chain: transient.
                case NpgsqlException or TimeoutException or OperationCanceledException or IOException or System.Net.Sockets.SocketException:
                    return null;
                // A text the driver cannot encode (a lone surrogate) fails the same way on every try.
                case JsonException or InvalidCastException or FormatException or OverflowException or System.Text.EncoderFallbackException:
                    data ??= e;
                    break;
            }
        }
        return data;
    }

    /// <summary>
    /// Finds the records of a batch that failed with a data error: runs <paramref name="process"/> on halves of
    /// <paramref name="records"/> (in their order, each half its own unit of work) until each failing record is
    /// alone, so every other record is processed on the way. Returns the records that failed alone, with their
    /// error; the caller quarantines them. A transient failure stops the search (it is thrown, and the caller
    /// retries the batch later); so does a batch of several in which every record fails alone, which is the
    /// code or the schema, not one record (the first error is thrown).
    /// </summary>
    public static async Task<IReadOnlyList<(T Record, Exception Error)>> IsolateAsync<T>(IReadOnlyList<T> records,
        Func<IReadOnlyList<T>, CancellationToken, Task> process, CancellationToken ct)
    {
        var failed = new List<(T Record, Exception Error)>();
        await SplitAsync(records, tried: true);
        if (records.Count > 1 && failed.Count == records.Count)
            throw new InvalidOperationException($"Every record of the batch failed on its own, so no record is to blame: {Describe(failed[0].Error)}");
        return failed;

        async Task SplitAsync(IReadOnlyList<T> part, bool tried)
        {
            if (part.Count == 0) return;
            // The caller saw the whole batch fail: it is split at once. A lone record is always tried itself.
            if (!tried || part.Count == 1)
            {
                try
                {
                    await process(part, ct);
                    return;
                }
                catch (Exception ex) when (!ct.IsCancellationRequested && IsDataError(ex))
                {
                    if (part.Count == 1)
                    {
                        failed.Add((part[0], ex));
                        return;
                    }
                }
            }
            var half = part.Count / 2;
            await SplitAsync(part.Take(half).ToList(), tried: false);
            await SplitAsync(part.Skip(half).ToList(), tried: false);
        }
    }

    /// <summary>The error's message, fit for a log line or a column: one line, no control characters, at most <paramref name="max"/> characters.</summary>
    public static string Describe(Exception error, int max = 500) => Clean((DataError(error) ?? error).Message, max);

    /// <summary>Text fit for a log line or a column: one line, no control characters, at most <paramref name="max"/> characters.</summary>
    public static string Clean(string text, int max)
    {
        var clean = new string(text.Select(c => char.IsControl(c) ? ' ' : c).ToArray());
        return clean.Length <= max ? clean : clean[..max];
    }

    private static IEnumerable<Exception> Chain(Exception error)
    {
        var pending = new Stack<Exception>();
        pending.Push(error);
        while (pending.Count > 0)
        {
            var e = pending.Pop();
            yield return e;
            if (e is AggregateException aggregate)
                foreach (var inner in aggregate.InnerExceptions) pending.Push(inner);
            else if (e.InnerException is not null)
                pending.Push(e.InnerException);
        }
    }
}
