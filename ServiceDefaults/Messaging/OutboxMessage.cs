using System.Text.Json;

namespace Aetherium.ServiceDefaults.Messaging;

/// <summary>An event written with the state change it announces, waiting to be relayed to the bus.</summary>
public sealed class OutboxMessage
{
    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    /// <summary>Commit order; the dispatcher relays in this order.</summary>
    public long Sequence { get; set; }
    /// <summary>Becomes the MassTransit MessageId, which consumers' inboxes key on.</summary>
    public Guid Id { get; set; }
    public required string MessageType { get; set; }
    public required string Body { get; set; }
    /// <summary>W3C traceparent of the request that wrote it, so the trace continues over the bus.</summary>
    public string? TraceParent { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public int Attempts { get; set; }
    public string? LastError { get; set; }
}

/// <summary>A message a consumer has handled; its presence makes a redelivery a no-op.</summary>
public sealed class InboxMessage
{
    public Guid MessageId { get; set; }
    public required string Consumer { get; set; }
    public DateTimeOffset ProcessedAt { get; set; }
}
