using Aetherium.Contracts;
using Aetherium.Scheduler.Persistence;
using Aetherium.Scheduler.Scheduling;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Aetherium.Scheduler.Tests.Integration;

public sealed class AllocationHost : HostFixture;

/// <summary>
/// The placement batch's one conditional allocation for all its workers, against the real database: a worker
/// that still fits is charged, one that no longer does (another replica took the room) or is no longer active is
/// refused and left exactly as it was.
/// </summary>
public sealed class AllocationTests(AllocationHost fixture) : IClassFixture<AllocationHost>
{
    [Fact]
    public async Task One_update_charges_the_workers_that_still_fit_and_leaves_the_others_untouched()
    {
        var host = fixture.Host;
        const string zone = "allocation";
        var roomy = await host.Inventory.AddWorkerAsync(zone, cpu: 8, memoryMb: 16384, diskGb: 200);
        var tight = await host.Inventory.AddWorkerAsync(zone, cpu: 4, memoryMb: 16384, diskGb: 200);
        var draining = await host.Inventory.AddWorkerAsync(zone, cpu: 8, memoryMb: 16384, diskGb: 200, status: WorkerStatus.Draining);
        foreach (var worker in new[] { roomy, tight, draining }) await host.WaitKnownAsync(worker);

        await using var scope = host.Factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SchedulerDbContext>();
        var before = await db.Workers.AsNoTracking().Where(w => w.Zone == zone).ToDictionaryAsync(w => w.Id);
        Dictionary<Guid, Workers.SchedulerWorker> taken;
        await using (var tx = await db.Database.BeginTransactionAsync())
        {
            taken = await DesiredStates.TryAllocateAsync(db,
            [
                (tight, new Allocation(5, 1024, 10, 0, 1)),    // one core more than it has
                (roomy, new Allocation(3, 2048, 20, 0, 2)),
                (draining, new Allocation(1, 512, 5, 0, 1)),   // fits, but takes no VMs
            ], portRangeSize: 10_000, CancellationToken.None);
            await tx.CommitAsync();
        }
        var after = await db.Workers.AsNoTracking().Where(w => w.Zone == zone).ToDictionaryAsync(w => w.Id);

        Assert.Equal([roomy], taken.Keys);
        Assert.Equal(before[roomy].AllocatedCpu + 3, after[roomy].AllocatedCpu);
        Assert.Equal(before[roomy].AllocatedMemoryMb + 2048, after[roomy].AllocatedMemoryMb);
        Assert.Equal(before[roomy].AllocatedDiskGb + 20, after[roomy].AllocatedDiskGb);
        Assert.Equal(before[roomy].VmCount + 2, after[roomy].VmCount);
        Assert.Equal(before[roomy].DesiredVersion + 1, after[roomy].DesiredVersion);
        Assert.Equal(after[roomy].AllocatedCpu, taken[roomy].AllocatedCpu); // the returned row is the committed one
        foreach (var refused in new[] { tight, draining })
        {
            Assert.Equal(before[refused].AllocatedCpu, after[refused].AllocatedCpu);
            Assert.Equal(before[refused].AllocatedMemoryMb, after[refused].AllocatedMemoryMb);
            Assert.Equal(before[refused].VmCount, after[refused].VmCount);
            Assert.Equal(before[refused].DesiredVersion, after[refused].DesiredVersion);
            Assert.Equal(before[refused].UpdatedAt, after[refused].UpdatedAt);
        }
    }
}
