using System.Diagnostics;
using System.Text.Json;
using Aetherium.ServiceDefaults.Messaging;
using Microsoft.EntityFrameworkCore;

namespace Aetherium.ServiceDefaults.Data;

/// <summary>
/// Base of every service's DbContext. It owns the outbox and inbox tables, so that a state change
/// and the events announcing it are written in one transaction (DESIGN §7):
/// <code>db.Workers.Add(w); db.Publish(new WorkerCreated(..)); await db.SaveChangesAsync();</code>
/// </summary>
public abstract class ServiceDbContext(DbContextOptions options) : DbContext(options)
{
    public DbSet<OutboxMessage> OutboxMessages => Set<OutboxMessage>();
    public DbSet<InboxMessage> InboxMessages => Set<InboxMessage>();

    /// <summary>Queues an event for the bus; it is sent only if (and once) this unit of work commits.</summary>
    public void Publish<T>(T message) where T : class
    {
        Add(new OutboxMessage
        {
            Id = NewId.Next(),
            MessageType = typeof(T).FullName!,
            Body = JsonSerializer.Serialize(message, OutboxMessage.JsonOptions),
            TraceParent = Activity.Current?.Id,
            CreatedAt = DateTimeOffset.UtcNow,
        });
    }

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<OutboxMessage>(e =>
        {
            e.ToTable("outbox_messages");
            e.HasKey(x => x.Sequence);
            e.Property(x => x.Sequence).HasColumnName("sequence").UseIdentityAlwaysColumn();
            e.Property(x => x.Id).HasColumnName("id");
            e.HasIndex(x => x.Id).IsUnique();
            e.Property(x => x.MessageType).HasColumnName("message_type").HasMaxLength(300);
            e.Property(x => x.Body).HasColumnName("body").HasColumnType("jsonb");
            e.Property(x => x.TraceParent).HasColumnName("trace_parent").HasMaxLength(128);
            e.Property(x => x.CreatedAt).HasColumnName("created_at");
            e.Property(x => x.Attempts).HasColumnName("attempts");
            e.Property(x => x.LastError).HasColumnName("last_error").HasMaxLength(2000);
        });
        modelBuilder.Entity<InboxMessage>(e =>
        {
            e.ToTable("inbox_messages");
            e.HasKey(x => new { x.MessageId, x.Consumer });
            e.Property(x => x.MessageId).HasColumnName("message_id");
            e.Property(x => x.Consumer).HasColumnName("consumer").HasMaxLength(200);
            e.Property(x => x.ProcessedAt).HasColumnName("processed_at");
            e.HasIndex(x => x.ProcessedAt);
        });
    }
}

/// <summary>Sequential GUIDs (time-ordered) for keys and message ids: friendlier to B-tree indexes.</summary>
public static class NewId
{
    public static Guid Next() => Guid.CreateVersion7();
}
