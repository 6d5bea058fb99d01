using Aetherium.ServiceDefaults.Data;
using Microsoft.EntityFrameworkCore;

namespace Aetherium.Scheduler.Workers;

/// <summary>
/// Reads scheduler_workers rows so that one that cannot be read (labels of the wrong shape, as an old version or a
/// hand fix could leave them) does not hide the others: the readers of many workers (the fleet view, the admin list)
/// skip it and say which it was.
/// </summary>
public static class WorkerRows
{
    /// <summary>
    /// The rows of <paramref name="query"/>, in its order. When one cannot be read the query is run again on halves
    /// of its ids (<see cref="BatchFailures"/>) to read every other row; those that fail alone are returned apart.
    /// A transient failure is thrown.
    /// </summary>
    public static async Task<(List<SchedulerWorker> Rows, IReadOnlyList<(Guid Id, Exception Error)> Unreadable)> ReadAsync(
        IQueryable<SchedulerWorker> query, CancellationToken ct)
    {
        try
        {
            return (await query.ToListAsync(ct), []);
        }
        catch (Exception ex) when (BatchFailures.IsDataError(ex))
        {
            var ids = await query.Select(w => w.Id).ToListAsync(ct); // the id alone is always readable
            var rows = new List<SchedulerWorker>();
            var unreadable = await BatchFailures.IsolateAsync(ids, async (part, token) =>
                rows.AddRange(await query.Where(w => part.Contains(w.Id)).ToListAsync(token)), ct);
            var order = ids.Select((id, i) => (id, i)).ToDictionary(p => p.id, p => p.i);
            return (rows.OrderBy(r => order[r.Id]).ToList(), unreadable);
        }
    }
}
