using Aetherium.Contracts;
using Aetherium.Identity.Persistence;
using Aetherium.ServiceDefaults.Messaging;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace Aetherium.Identity.WorkerTokens;

public static class Revocation
{
    /// <summary>Marks a tracked token revoked and queues WorkerTokenRevoked in the same unit of work.</summary>
    public static void Revoke(IdentityDbContext db, WorkerToken token, string reason, DateTimeOffset now)
    {
        token.RevokedAt = now;
        token.RevokedReason = reason.Length <= 200 ? reason : reason[..200];
        db.Publish(new WorkerTokenRevoked(token.Id, token.WorkerId, token.OrganizationId, now));
    }
}

/// <summary>Inventory deleted a worker (or asks otherwise): every live token of that worker is revoked.</summary>
public sealed class RevokeWorkerTokensConsumer(IdentityDbContext db, ILogger<RevokeWorkerTokensConsumer> log)
    : InboxConsumer<RevokeWorkerTokens, IdentityDbContext>(db, log)
{
    protected override async Task HandleAsync(RevokeWorkerTokens message, ConsumeContext<RevokeWorkerTokens> context)
    {
        var now = DateTimeOffset.UtcNow;
        var tokens = await Db.WorkerTokens
            .Where(t => t.WorkerId == message.WorkerId && t.OrganizationId == message.OrganizationId && t.RevokedAt == null)
            .ToListAsync(context.CancellationToken);
        foreach (var token in tokens) Revocation.Revoke(Db, token, message.Reason, now);
        log.LogInformation("Revoked {Count} token(s) of worker {WorkerId}", tokens.Count, message.WorkerId);
    }
}
