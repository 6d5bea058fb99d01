using System.Net;
using Aetherium.Contracts;
using Aetherium.Scheduler.Persistence;
using Aetherium.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Aetherium.Scheduler.Tests.Integration;

public sealed class ShortDeleteTimeoutHost : HostFixture
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?> { ["Scheduler:DeleteConfirmTimeout"] = "00:00:06" };
}

/// <summary>How a deletion ends when no agent report confirms it.</summary>
public sealed class DeletionTests(ShortDeleteTimeoutHost fixture) : IClassFixture<ShortDeleteTimeoutHost>
{
    private SchedulerHost Host => fixture.Host;

    [Fact]
    public async Task A_deletion_no_agent_confirms_ends_after_the_timeout()
    {
        var zone = "silent";
        var worker = await Host.Inventory.AddWorkerAsync(zone);
        var tenant = new Tenant(Host);
        var vm = await tenant.CreateVmAsync("quiet", new { image_id = "debian-12", zone });
        await tenant.WaitForStatusAsync(vm.Id, VmStatus.Running);
        Host.Inventory.Hold(worker); // the agent says nothing from now on

        using (var delete = await tenant.Http.DeleteAsync($"/api/v1/vms/{vm.Id}")) Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        var deletedAt = DateTime.UtcNow;
        await Task.Delay(2000);
        Assert.Equal(VmStatus.Deleting, (await tenant.GetVmAsync(vm.Id)).Status);
        await tenant.WaitForStatusAsync(vm.Id, VmStatus.Deleted, seconds: 20);
        Assert.True(DateTime.UtcNow - deletedAt >= TimeSpan.FromSeconds(5), "not before the timeout");
        await Host.Bus.WaitForAsync<VmDeleted>(e => e.VmId == vm.Id);
    }

    [Fact]
    public async Task A_deleting_vm_whose_worker_goes_offline_is_deleted_at_once()
    {
        var zone = "gone";
        var worker = await Host.Inventory.AddWorkerAsync(zone);
        var tenant = new Tenant(Host);
        var vm = await tenant.CreateVmAsync("orphan", new { image_id = "debian-12", zone });
        await tenant.WaitForStatusAsync(vm.Id, VmStatus.Running);
        Host.Inventory.Hold(worker);
        using (var delete = await tenant.Http.DeleteAsync($"/api/v1/vms/{vm.Id}")) Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        Assert.Equal(VmStatus.Deleting, (await tenant.GetVmAsync(vm.Id)).Status);

        // Its agent is gone: nothing will ever report the VM stopped, and waiting for the timeout would be pointless.
        await Host.Inventory.SetStatusAsync(worker, WorkerStatus.Offline);
        var offlineAt = DateTime.UtcNow;
        await tenant.WaitForStatusAsync(vm.Id, VmStatus.Deleted, seconds: 15);
        Assert.True(DateTime.UtcNow - offlineAt < TimeSpan.FromSeconds(5), "deleted well before the 6 s timeout");
        await Host.Bus.WaitForAsync<VmDeleted>(e => e.VmId == vm.Id);
    }
}

/// <summary>How a deletion ends when the agent confirms it, with the default 30 s confirmation timeout.</summary>
public sealed class ConfirmedDeletionTests(DeletionHost fixture) : IClassFixture<DeletionHost>
{
    private SchedulerHost Host => fixture.Host;

    [Fact]
    public async Task A_deletion_is_confirmed_at_once_when_the_agent_says_it_applied_the_set_without_the_vm()
    {
        var zone = "last-vm";
        var worker = await Host.Inventory.AddWorkerAsync(zone);
        var tenant = new Tenant(Host);
        var vm = await tenant.CreateVmAsync("only", new { image_id = "debian-12", zone });
        await tenant.WaitForStatusAsync(vm.Id, VmStatus.Running);
        Host.Inventory.Hold(worker); // no VM report follows: the worker runs nothing any more

        using (var delete = await tenant.Http.DeleteAsync($"/api/v1/vms/{vm.Id}")) Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        var emptied = await Host.Bus.WaitForAsync<WorkerDesiredStateChanged>(e => e.WorkerId == worker && e.Vms.Count == 0);
        Assert.Equal(VmStatus.Deleting, (await tenant.GetVmAsync(vm.Id)).Status);
        // A version before the deletion confirms nothing.
        await Host.Bus.PublishAsync(new WorkerDesiredStateApplied(worker, emptied.Version - 1, DateTimeOffset.UtcNow));
        await Task.Delay(1000);
        Assert.Equal(VmStatus.Deleting, (await tenant.GetVmAsync(vm.Id)).Status);

        // What inventory publishes when the agent's heartbeat says it applied the empty set.
        await Host.Bus.PublishAsync(new WorkerDesiredStateApplied(worker, emptied.Version, DateTimeOffset.UtcNow));
        await tenant.WaitForStatusAsync(vm.Id, VmStatus.Deleted, seconds: 15); // the confirmation timeout is 30 s
        await Host.Bus.WaitForAsync<VmDeleted>(e => e.VmId == vm.Id);
    }
}

public sealed class DeletionHost : HostFixture;

/// <summary>A DeleteVm that runs while its CreateVm's insert is not yet committed (on another replica or consumer).</summary>
public sealed class CreateDeleteRaceTests(DeletionHost fixture) : IClassFixture<DeletionHost>
{
    [Fact]
    public async Task A_delete_that_waits_for_a_create_still_being_committed_deletes_the_vm()
    {
        var host = fixture.Host;
        var vm = Guid.NewGuid();
        var organization = Guid.NewGuid();
        await using var scope = host.Factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SchedulerDbContext>();

        // CreateVm's insert, held open: the VM exists for nobody but this transaction yet.
        await using (var create = await db.Database.BeginTransactionAsync())
        {
            var now = DateTimeOffset.UtcNow;
            await db.Database.ExecuteSqlAsync($"""
                INSERT INTO vms (id, organization_id, name, status, cpu_cores, memory_mb, disk_gb, image_id, requires_gpu, gpu_count, zone,
                    labels, power_state, generation, version, desired_version, queued_at, created_at, updated_at)
                VALUES ({vm}, {organization}, 'raced', 'pending', 1, 512, 5, 'debian-12', false, 0, 'nowhere', {"{}"}::jsonb, 'running', 0, 1, 0,
                    {now}, {now}, {now})
                """);
            await host.Bus.PublishAsync(new DeleteVm(vm, organization, "lease released"));
            await Task.Delay(1500); // the DeleteVm runs now: finding no row, its tombstone insert waits on this one
            await create.CommitAsync();
        }

        // It lost the insert, so it deletes the VM that was created; the VM must not live past its lease.
        var deleted = await host.Bus.WaitForAsync<VmDeleted>(e => e.VmId == vm, TimeSpan.FromSeconds(20));
        Assert.Equal(organization, deleted.OrganizationId);
        var row = await db.Vms.AsNoTracking().SingleAsync(v => v.Id == vm);
        Assert.Equal(VmStatus.Deleted, row.Status);
        Assert.Equal("raced", row.Name); // the created VM, not a tombstone
    }
}
