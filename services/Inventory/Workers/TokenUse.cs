using Aetherium.Inventory.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Aetherium.Inventory.Workers;

/// <summary>
/// When and from where an agent last connected with one worker token (its jti). Identity owns the tokens;
/// inventory sees the connections, so it keeps this beside them and merges it into /workers/{id}/tokens.
/// </summary>
public sealed class TokenUse
{
    public Guid TokenId { get; set; }
    public Guid WorkerId { get; set; }
    public DateTimeOffset LastUsedAt { get; set; }
    /// <summary>The client address the agent connected from (behind the gateway: its X-Forwarded-For).</summary>
    public string? LastUsedFrom { get; set; }

    /// <summary>Once per connection (a WebSocket session or an HTTP register), never per heartbeat.</summary>
    public static Task RecordAsync(InventoryDbContext db, Guid tokenId, Guid workerId, string? from, DateTimeOffset at, CancellationToken ct) =>
        db.Database.ExecuteSqlAsync($"""
            INSERT INTO token_uses (token_id, worker_id, last_used_at, last_used_from) VALUES ({tokenId}, {workerId}, {at}, {from})
            ON CONFLICT (token_id) DO UPDATE SET last_used_at = excluded.last_used_at, last_used_from = excluded.last_used_from
            """, ct);
}
