using Aetherium.Contracts;
using Aetherium.Testing;

namespace Aetherium.Lease.Tests;

/// <summary>
/// Plays the scheduler on the test's virtual host: it records the commands the lease service sends
/// (CreateVm, DeleteVm) and its events, and publishes what the scheduler would publish as simulated
/// agents report VMs scheduled, running and gone.
/// </summary>
public sealed class SchedulerDouble : IAsyncDisposable
{
    private SchedulerDouble(TestBus bus) => Bus = bus;

    public TestBus Bus { get; }

    public static async Task<SchedulerDouble> StartAsync(string messaging) =>
        new(await TestBus.StartAsync(messaging,
            typeof(CreateVm), typeof(DeleteVm), typeof(LeaseCreated), typeof(LeaseExtended), typeof(LeaseReleased), typeof(LeaseExpired)));

    public async Task<List<CreateVm>> CreatesAsync(Guid leaseId, int count, TimeSpan? timeout = null)
    {
        await Eventually.TrueAsync(() => Task.FromResult(Bus.Received<CreateVm>().Count(c => c.LeaseId == leaseId) >= count),
            timeout ?? TimeSpan.FromSeconds(20), $"{count} CreateVm for lease {leaseId}");
        return Bus.Received<CreateVm>().Where(c => c.LeaseId == leaseId).ToList();
    }

    /// <summary>Waits for a DeleteVm for every one of <paramref name="vmIds"/>; returns when the last arrived.</summary>
    public async Task<DateTimeOffset> DeletesAsync(IEnumerable<Guid> vmIds, TimeSpan? timeout = null)
    {
        foreach (var id in vmIds)
            await Bus.WaitForAsync<DeleteVm>(d => d.VmId == id, timeout ?? TimeSpan.FromSeconds(20));
        return DateTimeOffset.UtcNow;
    }

    /// <summary>The scheduler places the VM and its agent reports it provisioning, then running, at address:port.</summary>
    public async Task RunAsync(CreateVm vm, Guid workerId, string address, int port)
    {
        await Bus.PublishAsync(new VmScheduled(vm.VmId, vm.OrganizationId, vm.LeaseId, workerId, vm.Spec, DateTimeOffset.UtcNow));
        await StateAsync(vm, workerId, VmStatus.Pending, VmStatus.Scheduled, 1);
        await StateAsync(vm, workerId, VmStatus.Scheduled, VmStatus.Provisioning, 2, address, port);
        await StateAsync(vm, workerId, VmStatus.Provisioning, VmStatus.Running, 3, address, port);
    }

    public Task StateAsync(CreateVm vm, Guid? workerId, string from, string to, long version,
        string? address = null, int? port = null, string? reason = null, Guid? messageId = null) =>
        Bus.PublishAsync(new VmStateChanged(vm.VmId, vm.OrganizationId, vm.LeaseId, workerId, from, to, reason, version,
            DateTimeOffset.UtcNow, address, port), messageId);

    public Task UnschedulableAsync(CreateVm vm, string reason) =>
        Bus.PublishAsync(new VmUnschedulable(vm.VmId, vm.OrganizationId, vm.LeaseId, reason, DateTimeOffset.UtcNow));

    /// <summary>The scheduler carries out a DeleteVm: the VM goes to deleting, the agent stops it, it is deleted.</summary>
    public async Task DeleteAsync(CreateVm vm, Guid workerId, long version)
    {
        await StateAsync(vm, workerId, VmStatus.Running, VmStatus.Deleting, version);
        await Bus.PublishAsync(new VmDeleted(vm.VmId, vm.OrganizationId, vm.LeaseId, workerId, DateTimeOffset.UtcNow));
    }

    public ValueTask DisposeAsync() => Bus.DisposeAsync();
}
