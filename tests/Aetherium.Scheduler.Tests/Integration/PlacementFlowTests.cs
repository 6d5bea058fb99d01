using System.Net;
using System.Net.Http.Json;
using Aetherium.Contracts;
using Aetherium.Testing;
using Xunit;

namespace Aetherium.Scheduler.Tests.Integration;

/// <summary>A VM's way from the API to running, as the scheduler, inventory and agents play it out on the real bus.</summary>
public sealed class PlacementFlowTests(DefaultHost fixture) : IClassFixture<DefaultHost>
{
    private SchedulerHost Host => fixture.Host;
    private TestBus Bus => fixture.Host.Bus;
    private SimulatedInventory Inventory => fixture.Host.Inventory;

    private static string Zone() => "zone-" + Guid.NewGuid().ToString("N")[..8];

    [Fact]
    public async Task A_created_vm_is_scheduled_on_a_worker_and_runs_once_its_agent_says_so()
    {
        var zone = Zone();
        var worker = await Inventory.AddWorkerAsync(zone, cpu: 8, memoryMb: 16384);
        await Host.WaitKnownAsync(worker);
        var tenant = new Tenant(Host);
        Inventory.Hold(worker);

        var created = await tenant.CreateVmAsync("web-1", new { cpu_cores = 2, memory_mb = 2048, disk_gb = 20, image_id = "ubuntu-24.04", zone });
        Assert.Equal(VmStatus.Pending, created.Status);
        Assert.Null(created.WorkerId);

        // The worker's desired state on the bus now lists the VM, with a port of the configured range.
        var desired = await Bus.WaitForAsync<WorkerDesiredStateChanged>(d => d.WorkerId == worker && d.Vms.Any(v => v.VmId == created.Id));
        var entry = desired.Vms.Single(v => v.VmId == created.Id);
        Assert.Equal(("web-1", "ubuntu-24.04", 2, 2048, 20, "running"), (entry.Name, entry.ImageId, entry.CpuCores, entry.MemoryMb, entry.DiskGb, entry.PowerState));
        Assert.InRange(entry.Port, 20000, 29999);
        var scheduled = await tenant.WaitForStatusAsync(created.Id, VmStatus.Scheduled);
        Assert.Equal(worker, scheduled.WorkerId);
        Assert.Equal(entry.Port, scheduled.Port);
        Assert.Equal(Inventory.Snapshot(worker).Address, scheduled.Address);
        await Bus.WaitForAsync<VmScheduled>(e => e.VmId == created.Id && e.WorkerId == worker);

        // It stays scheduled until the agent reports; then provisioning, then running.
        await Task.Delay(500);
        Assert.Equal(VmStatus.Scheduled, (await tenant.GetVmAsync(created.Id)).Status);
        await Eventually.TrueAsync(() => Task.FromResult(Inventory.Running(worker).ContainsKey(created.Id)), because: "the agent applied the desired state");
        await Inventory.ReleaseOneAsync(worker);
        await tenant.WaitForStatusAsync(created.Id, VmStatus.Provisioning);
        await Inventory.ReleaseAsync(worker);
        var running = await tenant.WaitForStatusAsync(created.Id, VmStatus.Running);
        Assert.Equal(worker, running.WorkerId);

        // The API may answer "running" a moment before the outbox has delivered the event.
        await Bus.WaitForAsync<VmStateChanged>(e => e.VmId == created.Id && e.NewStatus == VmStatus.Running);
        var changes = Bus.Received<VmStateChanged>().Where(e => e.VmId == created.Id).OrderBy(e => e.Version).ToList();
        Assert.Equal([VmStatus.Scheduled, VmStatus.Provisioning, VmStatus.Running], changes.Select(c => c.NewStatus));
        Assert.True(changes.Zip(changes.Skip(1)).All(p => p.First.Version < p.Second.Version && p.First.NewStatus == p.Second.OldStatus));
        var last = changes[^1];
        Assert.Equal((worker, entry.Port, Inventory.Snapshot(worker).Address), (last.WorkerId!.Value, last.Port!.Value, last.WorkerAddress));
        Assert.Contains(Bus.Received<VmRequested>(), r => r.VmId == created.Id && r.OrganizationId == tenant.OrganizationId);
    }

    [Fact]
    public async Task A_vm_that_fits_nowhere_is_unschedulable_with_the_reason_and_placed_when_a_worker_joins()
    {
        var zone = Zone();
        await Inventory.AddWorkerAsync(zone, cpu: 4, memoryMb: 8192);
        var tenant = new Tenant(Host);
        var vm = await tenant.CreateVmAsync("big", new { cpu_cores = 16, memory_mb = 4096, disk_gb = 20, image_id = "debian-12", zone });

        var waiting = await tenant.WaitForStatusAsync(vm.Id, VmStatus.Unschedulable);
        Assert.StartsWith("no worker fits: ", waiting.StatusReason);
        Assert.Contains("1 exhausted cpu", waiting.StatusReason);
        Assert.Contains("filtered by zone", waiting.StatusReason); // the other tests' workers
        var unschedulable = await Bus.WaitForAsync<VmUnschedulable>(e => e.VmId == vm.Id);
        Assert.StartsWith("no worker fits: ", unschedulable.Reason);

        var big = await Inventory.AddWorkerAsync(zone, cpu: 32, memoryMb: 65536);
        var running = await tenant.WaitForStatusAsync(vm.Id, VmStatus.Running);
        Assert.Equal(big, running.WorkerId);
        Assert.Null(running.StatusReason);
    }

    [Fact]
    public async Task Deleting_a_vm_frees_its_capacity_at_once_for_a_waiting_one()
    {
        var zone = Zone();
        var worker = await Inventory.AddWorkerAsync(zone, cpu: 2, memoryMb: 4096);
        var tenant = new Tenant(Host);
        var first = await tenant.CreateVmAsync("first", new { cpu_cores = 2, memory_mb = 2048, image_id = "debian-12", zone });
        await tenant.WaitForStatusAsync(first.Id, VmStatus.Running);
        var second = await tenant.CreateVmAsync("second", new { cpu_cores = 2, memory_mb = 2048, image_id = "debian-12", zone });
        await tenant.WaitForStatusAsync(second.Id, VmStatus.Unschedulable);

        using var deleted = await tenant.Http.DeleteAsync($"/api/v1/vms/{first.Id}");
        Assert.Equal(HttpStatusCode.Accepted, deleted.StatusCode);
        Assert.Equal(VmStatus.Deleting, (await deleted.Content.ReadFromJsonAsync<Vms.VmResponse>(Tenant.Json))!.Status);

        var placed = await tenant.WaitForStatusAsync(second.Id, VmStatus.Running);
        Assert.Equal(worker, placed.WorkerId);
        // The agent applied a desired set without the first VM and stopped it: the deletion is over.
        await Bus.WaitForAsync<VmDeleted>(e => e.VmId == first.Id);
        Assert.Equal(VmStatus.Deleted, (await tenant.GetVmAsync(first.Id)).Status);
        var latest = Bus.Received<WorkerDesiredStateChanged>().Where(d => d.WorkerId == worker).MaxBy(d => d.Version)!;
        Assert.Equal([second.Id], latest.Vms.Select(v => v.VmId));
        Assert.DoesNotContain(first.Id, Inventory.Running(worker).Keys);

        // Deleting again changes nothing; a deleted VM is listed only when asked for.
        using var again = await tenant.Http.DeleteAsync($"/api/v1/vms/{first.Id}");
        Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
        Assert.Single(Bus.Received<VmDeleted>(), e => e.VmId == first.Id);
        var list = await tenant.Http.GetFromJsonAsync<Vms.VmList>("/api/v1/vms", Tenant.Json);
        Assert.Equal([second.Id], list!.Vms.Select(v => v.Id));
        var history = await tenant.Http.GetFromJsonAsync<Vms.VmList>("/api/v1/vms?status=deleted", Tenant.Json);
        Assert.Equal([first.Id], history!.Vms.Select(v => v.Id));
    }

    [Fact]
    public async Task Stop_start_and_restart_change_the_desired_state_and_the_status_follows_the_agent()
    {
        var zone = Zone();
        var worker = await Inventory.AddWorkerAsync(zone);
        var tenant = new Tenant(Host);
        var vm = await tenant.CreateVmAsync("app", new { image_id = "ubuntu-22.04", zone });
        Assert.Equal((2, 4096, 40), (vm.Spec.CpuCores, vm.Spec.MemoryMb, vm.Spec.DiskGb)); // the image's default size
        await tenant.WaitForStatusAsync(vm.Id, VmStatus.Running);

        using (var conflict = await tenant.ActAsync(vm.Id, "start")) Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);

        using (var stop = await tenant.ActAsync(vm.Id, "Stop")) Assert.Equal(HttpStatusCode.Accepted, stop.StatusCode);
        await Bus.WaitForAsync<WorkerDesiredStateChanged>(d => d.WorkerId == worker && d.Vms.Any(v => v.VmId == vm.Id && v.PowerState == "stopped"));
        await tenant.WaitForStatusAsync(vm.Id, VmStatus.Stopped);
        using (var twice = await tenant.ActAsync(vm.Id, "stop")) Assert.Equal(HttpStatusCode.Conflict, twice.StatusCode);
        using (var restartStopped = await tenant.ActAsync(vm.Id, "restart")) Assert.Equal(HttpStatusCode.Conflict, restartStopped.StatusCode);

        using (var start = await tenant.ActAsync(vm.Id, "START")) Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        await tenant.WaitForStatusAsync(vm.Id, VmStatus.Running);

        using (var restart = await tenant.ActAsync(vm.Id, "restart")) Assert.Equal(HttpStatusCode.Accepted, restart.StatusCode);
        await Bus.WaitForAsync<WorkerDesiredStateChanged>(d => d.WorkerId == worker && d.Vms.Any(v => v.VmId == vm.Id && v.Generation == 1));
        var restarted = await tenant.WaitForVmAsync(vm.Id, v => v.Status == VmStatus.Running && v.Generation == 1, "the restarted VM runs again");
        Assert.Equal(worker, restarted.WorkerId);

        using (var bad = await tenant.ActAsync(vm.Id, "reboot")) Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        using (await tenant.Http.DeleteAsync($"/api/v1/vms/{vm.Id}")) { }
        using (var gone = await tenant.ActAsync(vm.Id, "stop")) Assert.Equal(HttpStatusCode.Conflict, gone.StatusCode);
    }

    [Fact]
    public async Task A_failure_the_agent_reports_shows_with_its_reason_and_restart_brings_it_back()
    {
        var zone = Zone();
        var worker = await Inventory.AddWorkerAsync(zone);
        var tenant = new Tenant(Host);
        var vm = await tenant.CreateVmAsync("crashy", new { image_id = "debian-12", zone });
        await tenant.WaitForStatusAsync(vm.Id, VmStatus.Running);

        await Inventory.ReportAsync(worker, vm.Id, "failed", "process exited with code 137");
        var failed = await tenant.WaitForStatusAsync(vm.Id, VmStatus.Failed);
        Assert.Equal("process exited with code 137", failed.StatusReason);

        using (var restart = await tenant.ActAsync(vm.Id, "restart")) Assert.Equal(HttpStatusCode.Accepted, restart.StatusCode);
        var back = await tenant.WaitForStatusAsync(vm.Id, VmStatus.Running);
        Assert.Equal(1, back.Generation);
    }

    [Fact]
    public async Task Bin_packing_fills_one_worker_while_spread_uses_the_emptiest()
    {
        var zone = Zone();
        var a = await Inventory.AddWorkerAsync(zone, cpu: 8);
        var b = await Inventory.AddWorkerAsync(zone, cpu: 8);
        await Host.WaitKnownAsync(a);
        await Host.WaitKnownAsync(b);
        var tenant = new Tenant(Host);
        var first = await tenant.CreateVmAsync("pack-1", new { cpu_cores = 2, memory_mb = 1024, image_id = "debian-12", zone });
        var placedOn = (await tenant.WaitForStatusAsync(first.Id, VmStatus.Running)).WorkerId;
        var second = await tenant.CreateVmAsync("pack-2", new { cpu_cores = 2, memory_mb = 1024, image_id = "debian-12", zone });
        Assert.Equal(placedOn, (await tenant.WaitForStatusAsync(second.Id, VmStatus.Running)).WorkerId);

        var spread = await tenant.CreateVmAsync("spread-1", new { cpu_cores = 2, memory_mb = 1024, image_id = "debian-12", zone, scoring = "spread" });
        var other = placedOn == a ? b : a;
        Assert.Equal(other, (await tenant.WaitForStatusAsync(spread.Id, VmStatus.Running)).WorkerId);
    }

    [Fact]
    public async Task Gpu_labels_and_images_steer_a_vm_to_the_worker_that_has_them()
    {
        var zone = Zone();
        var plain = await Inventory.AddWorkerAsync(zone, cpu: 32, labels: new() { ["tier"] = "compute" });
        var gpu = await Inventory.AddWorkerAsync(zone, cpu: 8, gpus: 2, labels: new() { ["tier"] = "ml" }, images: ["ubuntu-24.04"]);
        var tenant = new Tenant(Host);

        var training = await tenant.CreateVmAsync("train", new { cpu_cores = 4, memory_mb = 4096, image_id = "ubuntu-24.04", zone, gpu_count = 2 });
        var running = await tenant.WaitForStatusAsync(training.Id, VmStatus.Running);
        Assert.Equal(gpu, running.WorkerId);
        Assert.True(running.Spec.RequiresGpu);
        var desired = Bus.Received<WorkerDesiredStateChanged>().Where(d => d.WorkerId == gpu).MaxBy(d => d.Version)!;
        Assert.Equal(2, desired.Vms.Single(v => v.VmId == training.Id).GpuCount);

        // Both GPUs are taken now: another GPU VM must wait.
        var second = await tenant.CreateVmAsync("train-2", new { cpu_cores = 1, memory_mb = 1024, image_id = "ubuntu-24.04", zone, requires_gpu = true });
        Assert.Contains("exhausted gpu", (await tenant.WaitForStatusAsync(second.Id, VmStatus.Unschedulable)).StatusReason);

        var labelled = await tenant.CreateVmAsync("ml-box", new { cpu_cores = 1, memory_mb = 1024, image_id = "ubuntu-24.04", zone, labels = new { tier = "ml" } });
        Assert.Equal(gpu, (await tenant.WaitForStatusAsync(labelled.Id, VmStatus.Running)).WorkerId);

        // The GPU worker runs only ubuntu-24.04: a debian VM asking for its label cannot go anywhere.
        var debian = await tenant.CreateVmAsync("ml-debian", new { cpu_cores = 1, memory_mb = 1024, image_id = "debian-12", zone, labels = new { tier = "ml" } });
        var reason = (await tenant.WaitForStatusAsync(debian.Id, VmStatus.Unschedulable)).StatusReason!;
        Assert.Contains("1 filtered by labels", reason);
        Assert.Contains("1 filtered by image", reason);
        Assert.NotEqual(plain, gpu);
    }

    [Fact]
    public async Task Lease_commands_are_applied_once_whatever_their_order()
    {
        var zone = Zone();
        var worker = await Inventory.AddWorkerAsync(zone);
        var organization = Guid.NewGuid();
        var lease = Guid.NewGuid();
        var admin = Host.Client(TestTokens.Admin());
        var spec = new VmSpec(1, 1024, 10, "debian-12", Zone: zone);

        var vmId = Guid.NewGuid();
        var access = new VmAccess("tenant", null, "$2b$10$abcdefghijklmnopqrstuuJq0s4y4bQ0B5s0b6qZ5Yy6fQk7m3Gxu");
        await Bus.PublishAsync(new CreateVm(vmId, organization, lease, "leased", spec, access));
        await Bus.PublishAsync(new CreateVm(vmId, organization, lease, "leased", spec, access));
        await Bus.WaitForAsync<VmStateChanged>(e => e.VmId == vmId && e.NewStatus == VmStatus.Running);
        var list = await admin.GetFromJsonAsync<Vms.VmList>($"/api/v1/vms?lease_id={lease}", Tenant.Json);
        var vm = Assert.Single(list!.Vms);
        Assert.Equal((vmId, organization, worker, VmStatus.Running), (vm.Id, vm.OrganizationId, vm.WorkerId!.Value, vm.Status));
        Assert.Single(Bus.Received<VmRequested>(), e => e.VmId == vmId);
        // The lease's sign-in goes to the worker with the VM, and nowhere in the API.
        var desired = Bus.Received<WorkerDesiredStateChanged>().Where(d => d.WorkerId == worker).MaxBy(d => d.Version)!;
        Assert.Equal(access, Assert.Single(desired.Vms, v => v.VmId == vmId).Access);
        Assert.DoesNotContain("$2b$", await admin.GetStringAsync($"/api/v1/vms/{vmId}"));

        await Bus.PublishAsync(new DeleteVm(vmId, organization, "lease released"));
        await Bus.PublishAsync(new DeleteVm(vmId, organization, "lease released"));
        await Bus.WaitForAsync<VmDeleted>(e => e.VmId == vmId);
        await Task.Delay(500);
        Assert.Single(Bus.Received<VmDeleted>(), e => e.VmId == vmId);

        // A DeleteVm that overtakes its CreateVm wins: the VM never comes to life.
        var early = Guid.NewGuid();
        await Bus.PublishAsync(new DeleteVm(early, organization, "lease released"));
        await Bus.WaitForAsync<VmDeleted>(e => e.VmId == early);
        await Bus.PublishAsync(new CreateVm(early, organization, lease, "late", spec));
        await Task.Delay(1500);
        Assert.DoesNotContain(Bus.Received<VmScheduled>(), e => e.VmId == early);

        // A command with a spec the API would refuse makes a failed VM, which lease learns about.
        var invalid = Guid.NewGuid();
        await Bus.PublishAsync(new CreateVm(invalid, organization, lease, "bad", new VmSpec(1, 1024, 10, "windows-95")));
        var failed = await Bus.WaitForAsync<VmStateChanged>(e => e.VmId == invalid && e.NewStatus == VmStatus.Failed);
        Assert.Contains("unknown image", failed.Reason);
    }

    [Fact]
    public async Task Worker_snapshots_apply_newest_version_first_whatever_order_they_arrive_in()
    {
        var zone = Zone();
        var worker = await Inventory.AddWorkerAsync(zone, cpu: 4);
        var admin = Host.Client(TestTokens.Admin());
        var snapshot = Inventory.Snapshot(worker);
        await Bus.PublishAsync(new WorkerCapacityChanged(snapshot with { CpuCores = 16, Version = 5 }, DateTimeOffset.UtcNow));
        await Eventually.TrueAsync(async () => (await WorkerViewAsync(admin, worker))?.Total.CpuCores == 16);

        // An older snapshot (version 3, offline) arriving late changes nothing.
        await Bus.PublishAsync(new WorkerStatusChanged(snapshot with { Status = WorkerStatus.Offline, Version = 3 }, "active", "offline", null, DateTimeOffset.UtcNow));
        await Bus.PublishAsync(new WorkerCapacityChanged(snapshot with { CpuCores = 16, Version = 5 }, DateTimeOffset.UtcNow));
        await Task.Delay(1000);
        var view = await WorkerViewAsync(admin, worker);
        Assert.Equal((WorkerStatus.Active, 16, 5L), (view!.Status, view.Total.CpuCores, view.SnapshotVersion));
    }

    private static async Task<Workers.SchedulerWorkerEndpoints.WorkerCapacityView?> WorkerViewAsync(HttpClient admin, Guid id)
    {
        var list = await admin.GetFromJsonAsync<Workers.SchedulerWorkerEndpoints.WorkerCapacityList>("/api/v1/scheduler/workers?limit=1000", Tenant.Json);
        return list!.Workers.SingleOrDefault(w => w.Id == id);
    }
}
