using Aetherium.ServiceDefaults.Messaging;
using Aetherium.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Xunit;

namespace Aetherium.ServiceDefaults.Tests;

public sealed class OutboxInboxTests : IAsyncLifetime
{
    private string _producerDb = "";
    private string _consumerDb = "";
    private string _messaging = "";

    public async Task InitializeAsync()
    {
        var infra = await SharedInfrastructure.GetAsync();
        var name = SharedInfrastructure.UniqueName("outbox");
        _producerDb = await infra.CreateDatabaseAsync(name + "_p");
        _consumerDb = await infra.CreateDatabaseAsync(name + "_c");
        _messaging = await infra.CreateVirtualHostAsync(name);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Event_committed_while_the_broker_is_down_is_delivered_once_it_is_back()
    {
        var broker = AmqpAddress.Parse(_messaging);
        await using var proxy = new ToggleProxy(broker.Port);
        var throughProxy = new UriBuilder(_messaging) { Port = proxy.Port }.Uri.ToString();

        using var consumer = await NotesApp.StartAsync(_consumerDb, _messaging, consume: true, "consumer");
        proxy.Down();
        using var producer = await NotesApp.StartAsync(_producerDb, throughProxy, consume: false, "producer");

        var id = Guid.NewGuid();
        await NotesApp.WriteNoteAsync(producer, id, "written while RabbitMQ was unreachable");

        // The event waits in the producer's outbox, not lost and not delivered.
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Equal(1, await NotesApp.QueryAsync(producer, db => db.OutboxMessages.CountAsync()));
        Assert.Null(await NotesApp.QueryAsync(consumer, db => db.Notes.FindAsync(id).AsTask()));

        proxy.Up();
        var note = await Eventually.GetAsync(
            () => NotesApp.QueryAsync(consumer, db => db.Notes.AsNoTracking().FirstOrDefaultAsync(n => n.Id == id)),
            n => n is not null, TimeSpan.FromSeconds(60), "the note reaches the consumer after the broker is back");
        Assert.Equal(1, note!.TimesHandled);
        await Eventually.TrueAsync(async () => await NotesApp.QueryAsync(producer, db => db.OutboxMessages.CountAsync()) == 0,
            TimeSpan.FromSeconds(10), "the outbox is emptied once the broker took the event");
        await producer.StopAsync();
        await consumer.StopAsync();
    }

    [Fact]
    public async Task The_same_message_delivered_twice_is_handled_once()
    {
        using var consumer = await NotesApp.StartAsync(_consumerDb, _messaging, consume: true, "dedupe");
        await using var bus = await TestBus.StartAsync(_messaging);
        var id = Guid.NewGuid();
        var messageId = Guid.NewGuid();

        await bus.PublishAsync(new NoteCreated(id, "twice"), messageId);
        await bus.PublishAsync(new NoteCreated(id, "twice"), messageId);
        // A third delivery with a new message id is a different message and is applied.
        var other = Guid.NewGuid();
        await bus.PublishAsync(new NoteCreated(other, "once"));

        await Eventually.TrueAsync(() => NotesApp.QueryAsync(consumer, db => db.Notes.AnyAsync(n => n.Id == other)), TimeSpan.FromSeconds(20));
        await Eventually.TrueAsync(async () =>
            await NotesApp.QueryAsync(consumer, db => db.InboxMessages.CountAsync(m => m.MessageId == messageId)) == 1);
        await Task.Delay(1000); // the duplicate has had every chance to be applied
        var note = await NotesApp.QueryAsync(consumer, db => db.Notes.AsNoTracking().SingleAsync(n => n.Id == id));
        Assert.Equal(1, note.TimesHandled);
        await consumer.StopAsync();
    }

    [Fact]
    public async Task Two_replicas_relaying_one_outbox_send_each_event_once()
    {
        var db = _producerDb.Replace("_p", "_r");
        var infra = await SharedInfrastructure.GetAsync();
        db = await infra.CreateDatabaseAsync(new Npgsql.NpgsqlConnectionStringBuilder(db).Database!);
        await using var bus = await TestBus.StartAsync(_messaging, typeof(NoteCreated));
        using var a = await NotesApp.StartAsync(db, _messaging, consume: false, "replica");
        using var b = await NotesApp.StartAsync(db, _messaging, consume: false, "replica");

        var ids = Enumerable.Range(0, 200).Select(_ => Guid.NewGuid()).ToList();
        await Task.WhenAll(ids.Select((id, i) => NotesApp.WriteNoteAsync(i % 2 == 0 ? a : b, id, $"note {i}")));

        await Eventually.TrueAsync(() => Task.FromResult(bus.Received<NoteCreated>().Count >= ids.Count), TimeSpan.FromSeconds(30));
        await Task.Delay(1000);
        var received = bus.Received<NoteCreated>();
        Assert.Equal(ids.Count, received.Count);
        Assert.Equal(ids.OrderBy(x => x), received.Select(r => r.NoteId).OrderBy(x => x));
        await a.StopAsync();
        await b.StopAsync();
    }
}
