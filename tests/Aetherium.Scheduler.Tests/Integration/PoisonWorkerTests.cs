using System.Net.Http.Json;
using Aetherium.Contracts;
using Aetherium.Scheduler.Persistence;
using Aetherium.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Aetherium.Scheduler.Tests.Integration;

public sealed class PoisonWorkerHost : HostFixture;

/// <summary>
/// Issue 22, "no record can block a batch", for the scheduler's worker rows: a scheduler_workers row whose labels
/// cannot be read (a JSON map of numbers, as an older version or a hand fix could leave it) is left out of placement
/// with one warning naming it, and every other worker is still placed on and evacuated.
/// </summary>
public sealed class PoisonWorkerTests(PoisonWorkerHost fixture) : IClassFixture<PoisonWorkerHost>
{
    private SchedulerHost Host => fixture.Host;

    [Fact]
    public async Task A_worker_row_that_cannot_be_read_is_left_out_and_vms_are_placed_on_the_healthy_workers()
    {
        var zone = "poison-worker-placement";
        var poisoned = await Host.Inventory.AddWorkerAsync(zone);
        await Host.WaitKnownAsync(poisoned);
        await PoisonAsync(poisoned);
        // A new worker makes the placement loop read the whole fleet again, the spoiled row included.
        var healthy = await Host.Inventory.AddWorkerAsync(zone);

        var tenant = new Tenant(Host);
        var vms = new List<Guid>();
        for (var i = 0; i < 3; i++) vms.Add((await tenant.CreateVmAsync($"placed-{i}", new { image_id = "debian-12", zone })).Id);
        foreach (var id in vms)
            await tenant.WaitForVmAsync(id, vm => vm.Status == VmStatus.Running && vm.WorkerId == healthy, $"VM {id} runs on the healthy worker");

        Assert.Single(Host.Logs.Lines, l => l.StartsWith("Warning") && l.Contains($"Worker {poisoned} left out of placement"));
    }

    [Fact]
    public async Task The_vms_of_a_failed_worker_whose_row_cannot_be_read_move_to_a_healthy_worker()
    {
        var zone = "poison-worker-evacuation";
        var failing = await Host.Inventory.AddWorkerAsync(zone);
        var tenant = new Tenant(Host);
        var vms = new List<Guid>();
        for (var i = 0; i < 3; i++) vms.Add((await tenant.CreateVmAsync($"moved-{i}", new { image_id = "debian-12", zone })).Id);
        foreach (var id in vms) await tenant.WaitForStatusAsync(id, VmStatus.Running);
        var spare = await Host.Inventory.AddWorkerAsync(zone);
        await Host.WaitKnownAsync(spare);

        // The worker fails and its row is spoiled in the same write: the rescheduler reads it to move its VMs.
        await PoisonAsync(failing, offline: true);
        foreach (var id in vms)
            await tenant.WaitForVmAsync(id, vm => vm.WorkerId == spare && vm.Status == VmStatus.Running, $"VM {id} runs on the spare worker", seconds: 30);
    }

    [Fact]
    public async Task The_admin_worker_list_answers_beside_a_row_that_cannot_be_read()
    {
        var zone = "poison-worker-list";
        var poisoned = await Host.Inventory.AddWorkerAsync(zone, name: "a-poisoned");
        var healthy = await Host.Inventory.AddWorkerAsync(zone, name: "b-healthy");
        await Host.WaitKnownAsync(poisoned);
        await Host.WaitKnownAsync(healthy);
        await PoisonAsync(poisoned);

        var list = await Host.Client(TestTokens.Admin()).GetFromJsonAsync<Workers.SchedulerWorkerEndpoints.WorkerCapacityList>(
            $"/api/v1/scheduler/workers?zone={zone}", Tenant.Json);
        Assert.Equal([healthy], list!.Workers.Select(w => w.Id));
    }

    /// <summary>Labels stored as a JSON map of numbers: valid jsonb, but not the map of strings the scheduler reads.</summary>
    private async Task PoisonAsync(Guid workerId, bool offline = false)
    {
        await using var scope = Host.Factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SchedulerDbContext>();
        await db.Database.ExecuteSqlAsync($$"""
            UPDATE scheduler_workers SET labels = '{"tier": 1}',
                status = CASE WHEN {{offline}} THEN 'offline' ELSE status END,
                offline_since = CASE WHEN {{offline}} THEN now() ELSE offline_since END,
                status_changed_at = now(), updated_at = clock_timestamp()
            WHERE id = {{workerId}}
            """);
    }
}
