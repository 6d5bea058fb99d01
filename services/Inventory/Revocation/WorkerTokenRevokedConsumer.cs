using Aetherium.Contracts;
using Aetherium.Inventory.Agents;
using Aetherium.Inventory.Persistence;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace Aetherium.Inventory.Revocation;

/// <summary>Identity revoked a worker token: refuse it from now on (idempotent by the jti).</summary>
public sealed class WorkerTokenRevokedConsumer(InventoryDbContext db) : IConsumer<WorkerTokenRevoked>
{
    public Task Consume(ConsumeContext<WorkerTokenRevoked> context) =>
        RevokedTokens.RecordAsync(db, context.Message.TokenId, context.Message.WorkerId, context.Message.OccurredAt, context.CancellationToken);
}

public static class RevokedTokens
{
    /// <summary>
    /// Record the jti so no agent connects with it again, and notify every replica (same transaction) so a
    /// live session using it is closed at once. Run by the consumer and, without waiting for the bus, by the
    /// owner's revoke through inventory.
    /// </summary>
    public static async Task RecordAsync(InventoryDbContext db, Guid tokenId, Guid workerId, DateTimeOffset at, CancellationToken ct)
    {
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO revoked_tokens (token_id, worker_id, revoked_at) VALUES ({tokenId}, {workerId}, {at})
            ON CONFLICT (token_id) DO NOTHING
            """, ct);
        await db.Database.ExecuteSqlAsync($"SELECT pg_notify({SessionNotices.CloseChannel}, {SessionNotices.CloseToken(tokenId)})", ct);
        await tx.CommitAsync(ct);
    }
}
