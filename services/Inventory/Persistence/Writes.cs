using Microsoft.EntityFrameworkCore;

namespace Aetherium.Inventory.Persistence;

public static class Writes
{
    /// <summary>
    /// Runs <paramref name="attempt"/> (load, change, publish, save) again when another writer changed
    /// the same worker first (its Version is the concurrency token): the change is re-applied to the
    /// fresh row, so no event is built from a stale snapshot.
    /// </summary>
    public static async Task<T> RetryOnConflictAsync<T>(this InventoryDbContext db, Func<Task<T>> attempt, int tries = 5)
    {
        for (var i = 1; ; i++)
        {
            try
            {
                return await attempt();
            }
            catch (DbUpdateConcurrencyException) when (i < tries)
            {
                db.ChangeTracker.Clear();
            }
        }
    }

    /// <summary>Saves and sends a PostgreSQL notification in the same transaction: listeners hear it only if the change committed.</summary>
    public static async Task SaveAndNotifyAsync(this InventoryDbContext db, string channel, string payload, CancellationToken ct)
    {
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await db.SaveChangesAsync(ct);
        await db.Database.ExecuteSqlAsync($"SELECT pg_notify({channel}, {payload})", ct);
        await tx.CommitAsync(ct);
    }
}
