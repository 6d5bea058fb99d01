using Aetherium.ServiceDefaults.Data;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Aetherium.ServiceDefaults.Messaging;

/// <summary>
/// A consumer that handles each message at most once per consumer: the inbox row, the consumer's
/// state changes and any events it publishes (outbox) commit in one transaction. A redelivery of the
/// same MessageId finds the row and is acknowledged without effect. A failure rolls everything back
/// and rethrows, so MassTransit retries and finally moves the message to the error queue.
/// </summary>
public abstract class InboxConsumer<TMessage, TContext>(TContext db, ILogger logger) : IConsumer<TMessage>
    where TMessage : class
    where TContext : ServiceDbContext
{
    protected TContext Db { get; } = db;

    public async Task Consume(ConsumeContext<TMessage> context)
    {
        var messageId = context.MessageId ?? throw new InvalidOperationException($"{typeof(TMessage).Name} has no MessageId.");
        var consumer = GetType().Name;
        await using var tx = await Db.Database.BeginTransactionAsync(context.CancellationToken);
        var inserted = await Db.Database.ExecuteSqlAsync(
            $"INSERT INTO inbox_messages (message_id, consumer, processed_at) VALUES ({messageId}, {consumer}, {DateTimeOffset.UtcNow}) ON CONFLICT DO NOTHING",
            context.CancellationToken);
        if (inserted == 0)
        {
            logger.LogInformation("{Consumer} skipped duplicate {MessageType} {MessageId}", consumer, typeof(TMessage).Name, messageId);
            return;
        }
        await HandleAsync(context.Message, context);
        await Db.SaveChangesAsync(context.CancellationToken);
        await tx.CommitAsync(context.CancellationToken);
    }

    /// <summary>Apply the message to <see cref="Db"/> (and <c>Db.Publish</c> what follows); it is saved and committed after.</summary>
    protected abstract Task HandleAsync(TMessage message, ConsumeContext<TMessage> context);
}
