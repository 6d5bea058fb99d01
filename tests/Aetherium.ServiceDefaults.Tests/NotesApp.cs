using Aetherium.ServiceDefaults.Data;
using Aetherium.ServiceDefaults.Messaging;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Aetherium.ServiceDefaults.Tests;

// A tiny service built only from ServiceDefaults, to test the outbox and inbox with real
// PostgreSQL and RabbitMQ: it writes notes (and NoteCreated through the outbox) and counts, per
// note, how many times its consumer applied a NoteCreated.

public sealed record NoteCreated(Guid NoteId, string Text);

public sealed class Note
{
    public Guid Id { get; set; }
    public required string Text { get; set; }
    public int TimesHandled { get; set; }
}

public sealed class NotesDb(DbContextOptions<NotesDb> options) : ServiceDbContext(options)
{
    public DbSet<Note> Notes => Set<Note>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        base.OnModelCreating(modelBuilder);
        modelBuilder.Entity<Note>().ToTable("notes");
    }
}

public sealed class NoteCreatedConsumer(NotesDb db, ILogger<NoteCreatedConsumer> log) : InboxConsumer<NoteCreated, NotesDb>(db, log)
{
    protected override async Task HandleAsync(NoteCreated message, ConsumeContext<NoteCreated> context)
    {
        var note = await Db.Notes.FindAsync(message.NoteId);
        if (note is null) Db.Notes.Add(note = new Note { Id = message.NoteId, Text = message.Text });
        note.TimesHandled++;
    }
}

public static class NotesApp
{
    public static async Task<IHost> StartAsync(string database, string messaging, bool consume, string queuePrefix, Testing.LogCapture? logs = null)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:notesdb"] = database,
            ["ConnectionStrings:messaging"] = messaging,
            ["Messaging:QueuePrefix"] = queuePrefix,
            ["Outbox:PollInterval"] = "00:00:00.200",
        });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        if (logs is not null) builder.Logging.AddProvider(logs);
        builder.AddServiceDatabase<NotesDb>("notesdb");
        builder.AddServiceBus(x => { if (consume) x.AddConsumer<NoteCreatedConsumer>(); });

        // The schema without migrations: created once, before the migration service finds nothing to do.
        var options = new DbContextOptionsBuilder<NotesDb>().UseNpgsql(database).Options;
        await using (var db = new NotesDb(options)) await db.Database.EnsureCreatedAsync();

        var host = builder.Build();
        await host.StartAsync();
        if (consume) await Testing.Health.WaitHealthyAsync(host.Services);
        return host;
    }

    public static async Task WriteNoteAsync(IHost host, Guid id, string text)
    {
        await using var scope = host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<NotesDb>();
        db.Publish(new NoteCreated(id, text));
        await db.SaveChangesAsync();
    }

    public static async Task<T> QueryAsync<T>(IHost host, Func<NotesDb, Task<T>> query)
    {
        await using var scope = host.Services.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<NotesDb>());
    }
}
