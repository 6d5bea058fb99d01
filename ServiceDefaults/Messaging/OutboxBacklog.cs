using System.Data.Common;
using Aetherium.ServiceDefaults.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Aetherium.ServiceDefaults.Messaging;

/// <summary>Counts the rows of a service's outbox for <see cref="BusHealthCheck"/>.</summary>
public sealed class OutboxBacklog<TContext>(IServiceScopeFactory scopes) : IOutboxBacklog where TContext : ServiceDbContext
{
    public async Task<string> DescribeAsync(CancellationToken ct)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var count = await scope.ServiceProvider.GetRequiredService<TContext>().OutboxMessages.LongCountAsync(ct);
            return $"{count} messages waiting in the outbox, which still accepts work and sends it when the broker is back";
        }
        catch (Exception ex) when (ex is DbException or InvalidOperationException or TimeoutException)
        {
            return $"the outbox could not be counted: {ex.Message}";
        }
    }
}
