using Aetherium.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Xunit;

namespace Aetherium.ServiceDefaults.Tests;

/// <summary>Rows that can never be sent (issue 22, "no record can block a batch") hold no other event back.</summary>
public sealed class OutboxPoisonTests
{
    [Fact]
    public async Task Rows_that_cannot_be_sent_are_quarantined_and_the_events_beside_them_are_delivered()
    {
        var infra = await SharedInfrastructure.GetAsync();
        var name = SharedInfrastructure.UniqueName("poison");
        var producerDb = await infra.CreateDatabaseAsync(name + "_p");
        var consumerDb = await infra.CreateDatabaseAsync(name + "_c");
        var messaging = await infra.CreateVirtualHostAsync(name);
        var logs = new LogCapture();
        using var consumer = await NotesApp.StartAsync(consumerDb, messaging, consume: true, "poison");
        using var producer = await NotesApp.StartAsync(producerDb, messaging, consume: false, "poison", logs);

        // As a newer version, an older one or a hand-made fix could leave them: a type this build does not know,
        // and a known type whose body does not read as it.
        var unknownType = Guid.NewGuid();
        var unreadable = Guid.NewGuid();
        await NotesApp.QueryAsync(producer, db => db.Database.ExecuteSqlAsync($$"""
            INSERT INTO outbox_messages (id, message_type, body, created_at, attempts) VALUES
                ({{unknownType}}, 'Aetherium.ServiceDefaults.Tests.NoteArchived', '{"noteId": "x"}', now(), 0),
                ({{unreadable}}, {{typeof(NoteCreated).FullName}}, '{"noteId": "not a guid", "text": 5}', now(), 0)
            """));
        var notes = Enumerable.Range(0, 3).Select(_ => Guid.NewGuid()).ToList();
        foreach (var id in notes) await NotesApp.WriteNoteAsync(producer, id, "beside the poison");

        await Eventually.TrueAsync(() => NotesApp.QueryAsync(consumer, db => db.Notes.CountAsync(n => notes.Contains(n.Id)).ContinueWith(t => t.Result == notes.Count)),
            TimeSpan.FromSeconds(20), "the healthy events reach the consumer");
        var poisoned = new[] { unknownType, unreadable };
        await Eventually.TrueAsync(() => NotesApp.QueryAsync(producer, db => db.OutboxMessages.CountAsync(m => poisoned.Contains(m.Id) && m.Attempts >= 5)
            .ContinueWith(t => t.Result == 2)), TimeSpan.FromSeconds(20), "both poisoned rows reach their last attempt");
        foreach (var id in poisoned)
            Assert.Contains(logs.Lines, l => l.StartsWith("Warning") && l.Contains($"Outbox message {id}") && l.Contains("quarantined"));
        Assert.Contains(logs.Lines, l => l.Contains("quarantined") && l.Contains("unknown message type Aetherium.ServiceDefaults.Tests.NoteArchived"));

        // Quarantined: kept for an operator with the reason, never tried again, and no reason to hold back later events.
        var later = Guid.NewGuid();
        await NotesApp.WriteNoteAsync(producer, later, "after the quarantine");
        await Eventually.TrueAsync(() => NotesApp.QueryAsync(consumer, db => db.Notes.AnyAsync(n => n.Id == later)), TimeSpan.FromSeconds(10),
            "an event written after the quarantine is delivered");
        await Eventually.TrueAsync(() => NotesApp.QueryAsync(producer, db => db.OutboxMessages.CountAsync()).ContinueWith(t => t.Result == 2),
            TimeSpan.FromSeconds(10), "only the quarantined rows are left in the outbox");
        var rows = await NotesApp.QueryAsync(producer, db => db.OutboxMessages.AsNoTracking().ToListAsync());
        Assert.All(rows, r => Assert.Equal(5, r.Attempts));
        Assert.All(rows, r => Assert.False(string.IsNullOrEmpty(r.LastError)));
        // The batch around them was never retried whole: no back-off was taken for rows that were not to blame.
        Assert.DoesNotContain(logs.Lines, l => l.Contains("Outbox dispatch failed"));
        await producer.StopAsync();
        await consumer.StopAsync();
    }
}
