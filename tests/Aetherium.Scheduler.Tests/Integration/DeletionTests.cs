using System.Net;
using Aetherium.Contracts;
using Aetherium.Testing;
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
