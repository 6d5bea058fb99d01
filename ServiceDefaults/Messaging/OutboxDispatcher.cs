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
    /// <summary>Inbox rows older than this are removed: a redelivery that late is not expected.</summary>
    public TimeSpan InboxRetention { get; set; } = TimeSpan.FromDays(7);
}

/// <summary>
/// Relays committed outbox rows to RabbitMQ, in commit order, until the broker takes them.
/// Rows are claimed with <c>FOR UPDATE SKIP LOCKED</c>, so several replicas can run it at once without
/// sending a row twice in the normal case; after a crash between publish and delete a row is sent
/// again with the same MessageId, which the consumers' inboxes absorb (at-least-once + idempotence).
/// Unlike eShop's, it keeps retrying: a broker outage delays events, never drops them.
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

    /// <summary>Sends one batch; returns how many rows it took off the outbox.</summary>
    public async Task<int> DispatchBatchAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TContext>();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var rows = await db.OutboxMessages
            .FromSql($"SELECT * FROM outbox_messages ORDER BY sequence LIMIT {_options.BatchSize} FOR UPDATE SKIP LOCKED")
            .AsNoTracking()
            .ToListAsync(ct);
        if (rows.Count == 0) return 0;

        var results = await Task.WhenAll(rows.Select(r => PublishAsync(r, ct)));
        var sent = rows.Where((_, i) => results[i] is null).Select(r => r.Sequence).ToArray();
        var failed = rows.Where((_, i) => results[i] is not null).ToArray();

        if (sent.Length > 0)
            await db.Database.ExecuteSqlAsync($"DELETE FROM outbox_messages WHERE sequence = ANY({sent})", ct);
        foreach (var row in failed)
        {
            var error = results[rows.IndexOf(row)]!;
            await db.Database.ExecuteSqlAsync(
                $"UPDATE outbox_messages SET attempts = attempts + 1, last_error = {Truncate(error, 2000)} WHERE sequence = {row.Sequence}", ct);
        }
        await tx.CommitAsync(ct);

        if (failed.Length > 0)
            throw new InvalidOperationException($"{failed.Length} of {rows.Count} outbox messages could not be published: {results.First(r => r is not null)}");
        return sent.Length;
    }

    /// <summary>Returns null when the broker took the message, else the error.</summary>
    private async Task<string?> PublishAsync(OutboxMessage row, CancellationToken ct)
    {
        var type = Types.GetOrAdd(row.MessageType, ResolveType);
        if (type is null)
            return $"unknown message type {row.MessageType}";

        ActivityContext.TryParse(row.TraceParent, null, out var parent);
        using var activity = Telemetry.Source.StartActivity($"outbox publish {type.Name}", ActivityKind.Producer, parent);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(_options.PublishTimeout);
            var message = JsonSerializer.Deserialize(row.Body, type, OutboxMessage.JsonOptions)!;
            await bus.Publish(message, type, ctx => ctx.MessageId = row.Id, timeout.Token);
            return null;
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            return ex.Message;
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

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..max];

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
