using Aetherium.Contracts;
using Aetherium.Inventory.Persistence;
using Aetherium.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Aetherium.Inventory.Tests;

public sealed class PoisonWorkerFixture : InventoryFixture
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);

    protected override Dictionary<string, string?> Config => InventoryFactory.Fast(
        ("Inventory:OfflineTimeout", Timeout.ToString()),
        ("Inventory:RestartGracePeriod", "00:00:00"));
}

/// <summary>
/// Issue 22, "no record can block a batch", for the offline detector: a worker row inventory cannot read (its GPUs
/// stored as something other than a list, as an older version or a hand fix could leave them) is quarantined, and
/// the workers overdue in the same batch go offline on time.
/// </summary>
public sealed class PoisonWorkerTests(PoisonWorkerFixture fx) : IClassFixture<PoisonWorkerFixture>
{
    [Fact]
    public async Task An_unreadable_worker_row_is_quarantined_and_the_silent_workers_beside_it_go_offline_on_time()
    {
        using var api = fx.Factory.As(Tenant.New().Token);
        var ids = new List<Guid>();
        foreach (var name in new[] { "healthy-0", "poisoned", "healthy-1" })
        {
            var (id, token, _) = await api.EnrollAsync(name);
            var (agent, _) = await TestAgent.JoinAsync(fx.Factory, token);
            await agent.HeartbeatAsync();
            await agent.DisposeAsync();
            ids.Add(id);
        }
        var poisoned = ids[1];
        var healthy = new[] { ids[0], ids[2] };
        // Once the sessions are over nothing else writes these rows: all three were last heard from at the same
        // instant, so they fall due in one detector batch, and one of them cannot be read.
        await Eventually.TrueAsync(() => DbAsync(db => db.Workers.AllAsync(w => !ids.Contains(w.Id) || w.SessionId == null)),
            TimeSpan.FromSeconds(10), "the agents' sessions are over");
        var silentSince = (await DbAsync(db => db.Database.SqlQuery<DateTimeOffset>($$"""
            UPDATE workers SET last_heartbeat_at = now(),
                gpus = CASE WHEN id = {{poisoned}} THEN '{"model": "x"}'::jsonb ELSE gpus END
            WHERE id = ANY({{ids.ToArray()}})
            RETURNING last_heartbeat_at AS "Value"
            """).ToListAsync()))[0];

        foreach (var id in healthy)
        {
            var offline = await fx.Bus.WaitForAsync<WorkerStatusChanged>(e => e.Worker.WorkerId == id && e.NewStatus == WorkerStatus.Offline, TimeSpan.FromSeconds(15));
            // The timeout, then at most one detector pass (a quarter of it) and room for a loaded machine.
            Assert.InRange(offline.OccurredAt - silentSince, PoisonWorkerFixture.Timeout - TimeSpan.FromMilliseconds(100), PoisonWorkerFixture.Timeout + TimeSpan.FromSeconds(4));
        }

        var quarantined = await fx.Bus.WaitForAsync<WorkerStatusChanged>(e => e.Worker.WorkerId == poisoned && e.NewStatus == WorkerStatus.Offline, TimeSpan.FromSeconds(15));
        Assert.Equal(WorkerStatus.Active, quarantined.OldStatus);
        Assert.Contains("stored data unreadable", quarantined.Reason);
        var row = await DbAsync(db => db.Database.SqlQuery<string>($"SELECT status || ': ' || status_reason AS \"Value\" FROM workers WHERE id = {poisoned}").SingleAsync());
        Assert.StartsWith("offline: no heartbeat within the timeout; stored data unreadable:", row);
        Assert.Single(fx.Factory.Logs.Lines, l => l.StartsWith("Warning") && l.Contains($"Worker {poisoned}") && l.Contains("quarantined"));
    }

    private async Task<T> DbAsync<T>(Func<InventoryDbContext, Task<T>> work)
    {
        await using var scope = fx.Factory.Services.CreateAsyncScope();
        return await work(scope.ServiceProvider.GetRequiredService<InventoryDbContext>());
    }
}
