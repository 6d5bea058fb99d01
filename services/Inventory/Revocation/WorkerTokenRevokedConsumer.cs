using Aetherium.Contracts;
using Aetherium.Inventory.Agents;
using Aetherium.Inventory.Persistence;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace Aetherium.Inventory.Revocation;

/// <summary>
/// Identity revoked a worker token: record its jti so no agent connects with it again, and notify every
/// replica (same transaction) so a live session using it is closed at once. Idempotent by the jti.
/// </summary>
public sealed class WorkerTokenRevokedConsumer(InventoryDbContext db) : IConsumer<WorkerTokenRevoked>
{
    public async Task Consume(ConsumeContext<WorkerTokenRevoked> context)
    {
        var m = context.Message;
        var ct = context.CancellationToken;
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO revoked_tokens (token_id, worker_id, revoked_at) VALUES ({m.TokenId}, {m.WorkerId}, {m.OccurredAt})
            ON CONFLICT (token_id) DO NOTHING
            """, ct);
        await db.Database.ExecuteSqlAsync($"SELECT pg_notify({SessionNotices.CloseChannel}, {SessionNotices.CloseToken(m.TokenId)})", ct);
        await tx.CommitAsync(ct);
    }
}
