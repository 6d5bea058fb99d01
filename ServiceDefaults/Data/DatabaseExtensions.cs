using System.Diagnostics;
using Aetherium.ServiceDefaults.Messaging;
using Npgsql;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Aetherium.ServiceDefaults.Data;

public static class DatabaseExtensions
{
    /// <summary>
    /// The service's own PostgreSQL database from <c>ConnectionStrings__{connectionName}</c> (Aspire's
    /// convention), its migrations applied at start-up before the service listens, a health check,
    /// and the outbox dispatcher. Call it before <c>AddServiceBus</c>, so consumers start after migration.
    /// </summary>
    public static IHostApplicationBuilder AddServiceDatabase<TContext>(this IHostApplicationBuilder builder, string connectionName)
        where TContext : ServiceDbContext
    {
        builder.Services.AddSingleton<OutboxSignal>();
        builder.Services.AddSingleton<OutboxInterceptor>();
        builder.Services.AddOptions<OutboxOptions>().BindConfiguration("Outbox");
        builder.Services.AddKeyedSingleton(connectionName, (sp, _) =>
        {
            var cs = sp.GetRequiredService<IConfiguration>().GetConnectionString(connectionName)
                ?? throw new InvalidOperationException($"ConnectionStrings:{connectionName} is not configured.");
            var source = new NpgsqlDataSourceBuilder(cs);
            // Npgsql accepts its keywords with or without spaces ("Max Auto Prepare", "MaxAutoPrepare").
            bool Sets(string keyword) => cs.Replace(" ", "").Contains(keyword, StringComparison.OrdinalIgnoreCase);
            // Every service runs the same few statements over and over (lists, outbox polls, heartbeat flushes,
            // placement): prepared once per connection, PostgreSQL stops parsing and planning them each time,
            // which was half of its CPU under a read load. A connection string that sets either setting wins,
            // in any of Npgsql's spellings ("Max Auto Prepare", "MaxAutoPrepare", "Auto Prepare Min Usages").
            if (!Sets("AutoPrepare"))
            {
                source.ConnectionStringBuilder.MaxAutoPrepare = 64;
                source.ConnectionStringBuilder.AutoPrepareMinUsages = 3;
            }
            // A pooled connection is reset when it goes back (six statements before the next command: RESET ALL,
            // DISCARD SEQUENCES, UNLISTEN *, ... a tenth of PostgreSQL's statements under the placement load). No
            // pooled connection carries session state here: the advisory locks on them are transaction-scoped, and
            // LISTEN and the detector's session lock use their own unpooled connections.
            if (!Sets("NoResetOnClose"))
                source.ConnectionStringBuilder.NoResetOnClose = true;
            // Commands with no request or message around them are background loops (outbox relay, expiry,
            // heartbeat flushes) polling several times a second: traced, they would bury every user's trace.
            return source
                .ConfigureTracing(t => t
                    .ConfigureCommandFilter(_ => Activity.Current is not null)
                    .ConfigureBatchFilter(_ => Activity.Current is not null))
                .Build();
        });
        // Pooled: a context is reset and reused instead of being built from the container per request or
        // message (a tenth of inventory's CPU per list request went to that). Contexts hold no state of their own.
        builder.Services.AddDbContextPool<TContext>((sp, o) =>
        {
            o.UseNpgsql(sp.GetRequiredKeyedService<NpgsqlDataSource>(connectionName), npgsql => npgsql.MigrationsHistoryTable("__ef_migrations_history"));
            o.AddInterceptors(sp.GetRequiredService<OutboxInterceptor>());
        });
        builder.Services.AddHostedService<MigrationService<TContext>>();
        builder.Services.AddHostedService<OutboxDispatcher<TContext>>();
        builder.Services.AddSingleton<IOutboxBacklog, OutboxBacklog<TContext>>();
        builder.Services.AddHealthChecks().AddCheck<DatabaseHealthCheck<TContext>>(connectionName, tags: ["ready"]);
        return builder;
    }
}

/// <summary>Applies pending migrations at start-up, waiting for the database to accept connections.</summary>
public sealed class MigrationService<TContext>(IServiceScopeFactory scopes, ILogger<MigrationService<TContext>> log) : IHostedService
    where TContext : DbContext
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<TContext>();
                // EF Core takes a database lock around this, so replicas starting together are safe.
                await db.Database.MigrateAsync(cancellationToken);
                log.LogInformation("Database {Context} is migrated", typeof(TContext).Name);
                return;
            }
            catch (Exception ex) when (DateTime.UtcNow < deadline && !cancellationToken.IsCancellationRequested)
            {
                log.LogWarning("Database not ready (attempt {Attempt}): {Error}", attempt, ex.Message);
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(250 * attempt, 2000)), cancellationToken);
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

public sealed class DatabaseHealthCheck<TContext>(TContext db) : IHealthCheck where TContext : DbContext
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await db.Database.ExecuteSqlRawAsync("SELECT 1", cancellationToken);
            return HealthCheckResult.Healthy("PostgreSQL reachable");
        }
        catch (Exception ex)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, "PostgreSQL unreachable: " + ex.Message);
        }
    }
}
