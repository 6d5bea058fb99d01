using System.Net;
using Aetherium.Contracts;
using Aetherium.Scheduler.Persistence;
using Aetherium.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Aetherium.Scheduler.Tests.Integration;

public sealed class PoisonRecordHost : HostFixture;

/// <summary>
/// Issue 22, "no record can block a batch": a VM row the scheduler cannot read (labels stored as something other
/// than a map of strings, as an older version or a hand fix could leave them) is quarantined by each loop that
/// takes VMs in batches, and the VMs of its batch are handled within the next pass, not never.
/// </summary>
public sealed class PoisonRecordTests(PoisonRecordHost fixture) : IClassFixture<PoisonRecordHost>
{
    private SchedulerHost Host => fixture.Host;

    [Fact]
    public async Task A_queued_vm_that_cannot_be_read_is_quarantined_and_the_vms_queued_beside_it_are_placed()
    {
        var zone = "poison-placement";
        var owner = new Tenant(Host);
        var poisoned = await owner.CreateVmAsync("poisoned", new { image_id = "debian-12", zone });
        var tenant = new Tenant(Host);
        var healthy = new List<Guid>();
        for (var i = 0; i < 3; i++) healthy.Add((await tenant.CreateVmAsync($"healthy-{i}", new { image_id = "debian-12", zone })).Id);
        // No worker in the zone yet: all four wait, unschedulable, for capacity; then one row is spoiled.
        await owner.WaitForStatusAsync(poisoned.Id, VmStatus.Unschedulable);
        foreach (var id in healthy) await tenant.WaitForStatusAsync(id, VmStatus.Unschedulable);
        await PoisonAsync(poisoned.Id);

        // A worker arrives: the four are due in one batch, the spoiled one first.
        await Host.Inventory.AddWorkerAsync(zone);
        foreach (var id in healthy) await tenant.WaitForStatusAsync(id, VmStatus.Running);

        await AssertQuarantinedAsync(poisoned.Id, "placement");
    }

    [Fact]
    public async Task A_deleting_vm_that_cannot_be_read_is_quarantined_and_the_deletions_beside_it_end()
    {
        var zone = "poison-deletion";
        var worker = await Host.Inventory.AddWorkerAsync(zone);
        var tenant = new Tenant(Host);
        var vms = new List<Guid>();
        for (var i = 0; i < 4; i++) vms.Add((await tenant.CreateVmAsync($"doomed-{i}", new { image_id = "debian-12", zone })).Id);
        foreach (var id in vms) await tenant.WaitForStatusAsync(id, VmStatus.Running);
        Host.Inventory.Hold(worker); // its agent confirms nothing: the deletion sweep has to end them
        foreach (var id in vms)
            using (var delete = await tenant.Http.DeleteAsync($"/api/v1/vms/{id}")) Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        await PoisonAsync(vms[0]);

        // The worker goes offline: every deletion on it is due at once, in one sweep.
        await Host.Inventory.SetStatusAsync(worker, WorkerStatus.Offline);
        foreach (var id in vms.Skip(1)) await tenant.WaitForStatusAsync(id, VmStatus.Deleted);

        await AssertQuarantinedAsync(vms[0], "deletion");
    }

    [Fact]
    public async Task A_vm_that_cannot_be_read_on_a_failed_worker_is_quarantined_and_the_others_move()
    {
        var zone = "poison-evacuation";
        var failing = await Host.Inventory.AddWorkerAsync(zone);
        var tenant = new Tenant(Host);
        var vms = new List<Guid>();
        for (var i = 0; i < 4; i++) vms.Add((await tenant.CreateVmAsync($"tenant-{i}", new { image_id = "debian-12", zone })).Id);
        foreach (var id in vms) await tenant.WaitForStatusAsync(id, VmStatus.Running);
        var spare = await Host.Inventory.AddWorkerAsync(zone);
        await Host.WaitKnownAsync(spare);
        await PoisonAsync(vms[0]);

        await Host.Inventory.SetStatusAsync(failing, WorkerStatus.Offline);
        foreach (var id in vms.Skip(1))
            await tenant.WaitForVmAsync(id, vm => vm.WorkerId == spare && vm.Status == VmStatus.Running, $"VM {id} runs on the spare worker", seconds: 30);

        await AssertQuarantinedAsync(vms[0], "rescheduling");
    }

    /// <summary>Labels stored as a JSON map of numbers: valid jsonb, but not the map of strings the scheduler reads.</summary>
    private Task PoisonAsync(Guid vmId) =>
        DbAsync(db => db.Database.ExecuteSqlAsync($$"""UPDATE vms SET labels = '{"tier": 1}' WHERE id = {{vmId}}"""));

    /// <summary>Failed with the reason, off every worker and queue, and named in a warning.</summary>
    private async Task AssertQuarantinedAsync(Guid vmId, string step)
    {
        var vm = await Eventually.GetAsync(() => DbAsync(db => db.Vms.Where(v => v.Id == vmId).Select(v => new { v.Status, v.StatusReason, v.WorkerId }).SingleAsync()),
            v => v.Status == VmStatus.Failed, TimeSpan.FromSeconds(15), $"VM {vmId} is quarantined as failed");
        Assert.StartsWith($"{step} failed on this VM's stored data", vm.StatusReason);
        Assert.Null(vm.WorkerId);
        Assert.Contains(Host.Logs.Lines, l => l.StartsWith("Warning") && l.Contains($"VM {vmId}") && l.Contains("quarantined"));
        await Host.Bus.WaitForAsync<VmStateChanged>(e => e.VmId == vmId && e.NewStatus == VmStatus.Failed);
    }

    private async Task<T> DbAsync<T>(Func<SchedulerDbContext, Task<T>> work)
    {
        await using var scope = Host.Factory.Services.CreateAsyncScope();
        return await work(scope.ServiceProvider.GetRequiredService<SchedulerDbContext>());
    }
}
