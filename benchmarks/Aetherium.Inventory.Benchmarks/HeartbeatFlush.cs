using Aetherium.Hosting.Infrastructure;
using Aetherium.Inventory.Persistence;
using Aetherium.Inventory.Telemetry;
using Aetherium.Inventory.Workers;
using Aetherium.ServiceDefaults.Messaging;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Aetherium.Inventory.Benchmarks;

/// <summary>
/// One flush of the telemetry buffer holding the newest heartbeat of <see cref="Workers"/> workers:
/// the single UPDATE over unnest arrays in its transaction, against a private PostgreSQL 15
/// (fsync off, as the test servers). Workers / mean time = heartbeat states written per second.
/// </summary>
[Config(typeof(FlushConfig))]
public class HeartbeatFlush
{
    private PostgresServer _postgres = null!;
    private ServiceProvider _services = null!;
    private TelemetryBuffer _buffer = null!;
    private TelemetryFlusher _flusher = null!;
    private Guid[] _ids = [];

    [Params(1_000, 10_000)]
    public int Workers { get; set; }

    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    private async Task SetupAsync()
    {
        _postgres = await PostgresServer.StartAsync(new PostgresOptions());
        await _postgres.CreateDatabaseAsync("inventorydb");
        var services = new ServiceCollection();
        services.AddSingleton<OutboxSignal>();
        services.AddSingleton<OutboxInterceptor>();
        services.AddDbContext<InventoryDbContext>((sp, o) => o.UseNpgsql(_postgres.ConnectionString("inventorydb"),
            n => n.MigrationsHistoryTable("__ef_migrations_history")).AddInterceptors(sp.GetRequiredService<OutboxInterceptor>()));
        _services = services.BuildServiceProvider();
        await using (var scope = _services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<InventoryDbContext>();
            await db.Database.MigrateAsync();
            var now = DateTimeOffset.UtcNow;
            _ids = Enumerable.Range(0, Workers).Select(_ => Guid.CreateVersion7()).ToArray();
            db.Workers.AddRange(_ids.Select((id, i) => new Worker
            {
                Id = id, OrganizationId = Guid.Empty, Name = $"w{i}", Zone = "default", Status = "active", MaxVms = 100,
                StatusChangedAt = now, CreatedAt = now, UpdatedAt = now, Version = 1, CpuCores = 16, Hostname = $"w{i}",
            }));
            await db.SaveChangesAsync();
        }
        _buffer = new TelemetryBuffer();
        _flusher = new TelemetryFlusher(_buffer, _services.GetRequiredService<IServiceScopeFactory>(),
            Options.Create(new InventoryOptions()), new InventoryMeters(), TimeProvider.System, NullLogger<TelemetryFlusher>.Instance);
    }

    [IterationSetup]
    public void Fill()
    {
        var at = DateTimeOffset.UtcNow;
        var cpu = Random.Shared.NextDouble() * 100;
        foreach (var id in _ids) _buffer.AddHeartbeat(id, new HeartbeatSample(cpu, 50, 40, 3600, 1, at));
    }

    [Benchmark(Description = "flush the newest heartbeat of every worker")]
    public async Task Flush()
    {
        if (!await _flusher.FlushOnceAsync(CancellationToken.None)) throw new InvalidOperationException("the batch was not written");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _services.Dispose();
        _postgres.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }
}

public sealed class FlushConfig : BenchmarkDotNet.Configs.ManualConfig
{
    public FlushConfig() => AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance)
        .WithStrategy(RunStrategy.Monitoring).WithWarmupCount(3).WithIterationCount(15).WithInvocationCount(1).WithUnrollFactor(1));
}
