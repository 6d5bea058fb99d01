using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Aetherium.ServiceDefaults.Data;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Aetherium.ServiceDefaults.Messaging;

public sealed class OutboxOptions
{
    /// <summary>How often to look for rows when nothing signalled (other replicas' rows, missed signals).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(500);
    public int BatchSize { get; set; } = 500;
    /// <summary>How long one publish may wait for the broker before the batch is retried later.</summary>
    public TimeSpan PublishTimeout { get; set; } = TimeSpan.FromSeconds(10);
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(5);
    /// <summary>
    /// A row that failed this many times on its own (it cannot be read, its type is unknown, or the broker refused
    /// it while taking the rest of its batch) is quarantined: it stays in the table with its attempts and last
    /// error and is never sent again, unless an operator sets its attempts back to 0.
    /// </summary>
    public int MaxAttempts { get; set; } = 5;
    /// <summary>Inbox rows older than this are removed: a redelivery that late is not expected.</summary>
    public TimeSpan InboxRetention { get; set; } = TimeSpan.FromDays(7);
}

/// <summary>
/// Relays committed outbox rows to RabbitMQ, in commit order, until the broker takes them.
/// Rows are claimed with <c>FOR UPDATE SKIP LOCKED</c>, so several replicas can run it at once without
/// sending a row twice in the normal case; after a crash between publish and delete a row is sent
/// again with the same MessageId, which the consumers' inboxes absorb (at-least-once + idempotence).
/// Unlike eShop's, it keeps retrying: a broker outage delays events, never drops them. A row that fails on
/// its own holds nobody back: the rest of its batch is sent, and after <see cref="OutboxOptions.MaxAttempts"/>
/// such failures it is quarantined (see <see cref="BatchFailures"/>).
/// </summary>
public sealed class OutboxDispatcher<TContext>(
    IServiceScopeFactory scopes,
    IBus bus,
    OutboxSignal signal,
    IOptions<OutboxOptions> options,
    ILogger<OutboxDispatcher<TContext>> log) : BackgroundService where TContext : ServiceDbContext
{
    private static readonly ConcurrentDictionary<string, Type?> Types = new();
    private readonly OutboxOptions _options = options.Value;
    private DateTimeOffset _nextInboxCleanup = DateTimeOffset.UtcNow.AddMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var backoff = TimeSpan.FromMilliseconds(200);
        while (!stoppingToken.IsCancellationRequested)
        {
            int sent;
            try
            {
                sent = await DispatchBatchAsync(stoppingToken);
                backoff = TimeSpan.FromMilliseconds(200);
                await CleanInboxIfDueAsync(stoppingToken);
            }
            catch (Exception ex) when (stoppingToken.IsCancellationRequested || ex is ObjectDisposedException)
            {
                return; // the host is stopping
            }
            catch (Exception ex)
            {
                log.LogWarning("Outbox dispatch failed, retrying in {Backoff} ms: {Error}", (int)backoff.TotalMilliseconds, ex.Message);
                await Delay(backoff, stoppingToken);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, _options.MaxBackoff.Ticks));
                continue;
            }
            if (sent < _options.BatchSize)
                await signal.WaitAsync(_options.PollInterval, stoppingToken);
        }
    }

    /// <summary>
    /// Sends one batch; returns how many rows it took off the outbox. Rows that failed on their own (their data,
    /// or the broker refused them while it took others) count an attempt; when every publish failed without any
    /// row to blame (the broker is away), nothing is counted and the batch is thrown back to be retried later.
    /// </summary>
    public async Task<int> DispatchBatchAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TContext>();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var rows = await db.OutboxMessages
            .FromSql($"SELECT * FROM outbox_messages WHERE attempts < {_options.MaxAttempts} ORDER BY sequence LIMIT {_options.BatchSize} FOR UPDATE SKIP LOCKED")
            .AsNoTracking()
            .ToListAsync(ct);
        if (rows.Count == 0) return 0;

        var results = await Task.WhenAll(rows.Select(r => PublishAsync(r, ct)));
        var sent = rows.Where((_, i) => results[i] is null).Select(r => r.Sequence).ToArray();
        if (sent.Length > 0)
            await db.Database.ExecuteSqlAsync($"DELETE FROM outbox_messages WHERE sequence = ANY({sent})", ct);
        var brokerAway = sent.Length == 0 && results.All(r => r is { Data: false });
        for (var i = 0; i < rows.Count; i++)
        {
            if (results[i] is not { } failure) continue;
            var counted = !brokerAway ? 1 : 0;
            await db.Database.ExecuteSqlAsync(
                $"UPDATE outbox_messages SET attempts = attempts + {counted}, last_error = {failure.Error} WHERE sequence = {rows[i].Sequence}", ct);
            if (counted == 0) continue;
            var attempts = rows[i].Attempts + 1;
            if (attempts >= _options.MaxAttempts)
                log.LogWarning("Outbox message {MessageId} ({MessageType}) quarantined after {Attempts} failed attempts; the others are sent without it: {Error}",
                    rows[i].Id, rows[i].MessageType, attempts, failure.Error);
            else
                log.LogWarning("Outbox message {MessageId} ({MessageType}) not sent (attempt {Attempts} of {MaxAttempts}); the rest of its batch was: {Error}",
                    rows[i].Id, rows[i].MessageType, attempts, _options.MaxAttempts, failure.Error);
        }
        await tx.CommitAsync(ct);

        if (brokerAway)
            throw new InvalidOperationException($"none of {rows.Count} outbox messages could be published: {results[0]!.Error}");
        return sent.Length;
    }

    /// <summary>Why a row was not sent; <c>Data</c> when the row itself cannot be sent (unknown type, unreadable body).</summary>
    private sealed record Failure(string Error, bool Data);

    /// <summary>Returns null when the broker took the message, else why not.</summary>
    private async Task<Failure?> PublishAsync(OutboxMessage row, CancellationToken ct)
    {
        var type = Types.GetOrAdd(row.MessageType, ResolveType);
        if (type is null)
            return new Failure($"unknown message type {BatchFailures.Clean(row.MessageType, 300)}", Data: true);

        ActivityContext.TryParse(row.TraceParent, null, out var parent);
        using var activity = Telemetry.Source.StartActivity($"outbox publish {type.Name}", ActivityKind.Producer, parent);
        object message;
        try
        {
            message = JsonSerializer.Deserialize(row.Body, type, OutboxMessage.JsonOptions)
                ?? throw new JsonException("the body is null");
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or ArgumentException)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            return new Failure($"unreadable body: {BatchFailures.Describe(ex, 1900)}", Data: true);
        }
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(_options.PublishTimeout);
            await bus.Publish(message, type, ctx => ctx.MessageId = row.Id, timeout.Token);
            return null;
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            return new Failure(BatchFailures.Describe(ex, 2000), Data: false);
        }
    }

    private async Task CleanInboxIfDueAsync(CancellationToken ct)
    {
        if (DateTimeOffset.UtcNow < _nextInboxCleanup) return;
        _nextInboxCleanup = DateTimeOffset.UtcNow.AddHours(1);
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TContext>();
        var cutoff = DateTimeOffset.UtcNow - _options.InboxRetention;
        await db.Database.ExecuteSqlAsync($"DELETE FROM inbox_messages WHERE processed_at < {cutoff}", ct);
    }

    private static Type? ResolveType(string name) =>
        typeof(Contracts.VmSpec).Assembly.GetType(name)
        ?? AppDomain.CurrentDomain.GetAssemblies().Select(a => a.GetType(name)).FirstOrDefault(t => t is not null);

    private static async Task Delay(TimeSpan delay, CancellationToken ct)
    {
        try { await Task.Delay(delay, ct); } catch (OperationCanceledException) { }
    }
}

/// <summary>Wakes the dispatcher as soon as a unit of work with outbox rows commits.</summary>
public sealed class OutboxSignal
{
    private readonly SemaphoreSlim _semaphore = new(0, 1);

    public void Notify()
    {
        if (_semaphore.CurrentCount == 0)
        {
            try { _semaphore.Release(); } catch (SemaphoreFullException) { }
        }
    }

    public async Task WaitAsync(TimeSpan timeout, CancellationToken ct)
    {
        try { await _semaphore.WaitAsync(timeout, ct); } catch (OperationCanceledException) { }
    }
}
