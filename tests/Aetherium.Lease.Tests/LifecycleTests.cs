using System.Net;
using System.Text.Json;
using Aetherium.Contracts;
using Aetherium.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Aetherium.Lease.Tests;

public sealed class LifecycleTests(LeaseFixture fx, ITestOutputHelper output) : IClassFixture<LeaseFixture>
{
    [Fact]
    public async Task Rent_then_vms_run_then_extend_then_release_deletes_every_vm()
    {
        var token = LeaseFixture.NewTenant(out var org);
        var key = SshKeys.Ed25519();
        var rented = await fx.Client.RentAsync(token, new
        {
            duration_hours = 2,
            count = 2,
            name = "training",
            spec = new { cpu_cores = 2, memory_mb = 2048, disk_gb = 20, image_id = "debian-12" },
            ssh_public_key = key,
        });
        var id = rented.Id();
        Assert.Equal("active", rented.Str("status"));
        Assert.Equal("pending", rented.Str("placement"));
        Assert.Equal(TimeSpan.FromHours(2), rented.Time("leased_until") - rented.Time("leased_from"));
        var vms = rented.Items("vms");
        Assert.Equal(["training-1", "training-2"], vms.Select(v => v.Str("name")));
        Assert.All(vms, v => Assert.Equal("pending", v.Str("status")));
        Assert.All(rented.Items("access"), a =>
        {
            Assert.Equal("ssh_key", a.Str("auth"));
            Assert.Equal("aetherium", a.Str("username"));
            Assert.False(a.TryGetProperty("host", out _), "no host before the VM runs");
            Assert.False(a.TryGetProperty("password", out _));
        });

        // One CreateVm per VM, with the lease's ids and spec, in the same transaction as the lease.
        var creates = await fx.Scheduler.CreatesAsync(id, 2);
        Assert.Equal(vms.Select(v => v.Id()).Order(), creates.Select(c => c.VmId).Order());
        Assert.All(creates, c =>
        {
            Assert.Equal(org, c.OrganizationId);
            Assert.Equal(new VmSpec(2, 2048, 20, "debian-12"), c.Spec);
            Assert.Equal(new VmAccess("aetherium", key, null), c.Access); // the VM is given the tenant's key
        });
        var created = await fx.Scheduler.Bus.WaitForAsync<LeaseCreated>(e => e.LeaseId == id);
        Assert.Equal(creates.Select(c => c.VmId).Order(), created.VmIds.Order());

        // The scheduler places both VMs and the agents report them running: access details appear.
        var workers = new[] { Guid.NewGuid(), Guid.NewGuid() };
        for (var i = 0; i < 2; i++)
            await fx.Scheduler.RunAsync(creates[i], workers[i], $"10.0.0.{i + 1}", 22000 + i);
        var running = await Eventually.GetAsync(() => fx.Client.LeaseAsync(token, id),
            l => l.Items("vms").All(v => v.Str("status") == "running") && l.Items("access").All(a => a.TryGetProperty("host", out _)),
            because: "both VMs run and can be reached");
        Assert.Equal("placed", running.Str("placement"));
        for (var i = 0; i < 2; i++)
        {
            var vm = running.Items("vms").Single(v => v.Id() == creates[i].VmId);
            Assert.Equal(workers[i], vm.Id("worker_id"));
            var access = running.Items("access").Single(a => a.Id("vm_id") == creates[i].VmId);
            Assert.Equal($"10.0.0.{i + 1}", access.Str("host"));
            Assert.Equal(22000 + i, access.GetProperty("port").GetInt32());
        }

        // Extend: the end moves back by exactly what was asked and the cost grows by that time's price.
        var hourly = running.GetProperty("cost").GetProperty("hourly").GetDecimal();
        var totalBefore = running.GetProperty("cost").GetProperty("total").GetDecimal();
        var extended = await (await fx.Client.PostAsync($"/api/v1/leases/{id}/extend", new { additional_hours = 1.5 }, token)).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(id, extended.Id("lease_id"));
        Assert.Equal(running.Time("leased_until") + TimeSpan.FromHours(1.5), extended.Time("new_end_at"));
        Assert.Equal(Math.Round(hourly * 1.5m, 6), extended.GetProperty("added_cost").GetDecimal());
        var afterExtend = await fx.Client.LeaseAsync(token, id);
        Assert.Equal(extended.Time("new_end_at"), afterExtend.Time("leased_until"));
        Assert.Equal(totalBefore + extended.GetProperty("added_cost").GetDecimal(), afterExtend.GetProperty("cost").GetProperty("total").GetDecimal());
        await fx.Scheduler.Bus.WaitForAsync<LeaseExtended>(e => e.LeaseId == id && e.NewEnd == extended.Time("new_end_at"));

        // Release: DeleteVm for each VM and the lease is released.
        var released = await (await fx.Client.PostAsync($"/api/v1/leases/{id}/release", null, token)).JsonAsync(HttpStatusCode.OK);
        Assert.Equal("released", released.Str("status"));
        await fx.Scheduler.DeletesAsync(creates.Select(c => c.VmId));
        Assert.All(creates, c => Assert.Single(fx.Scheduler.Bus.Received<DeleteVm>(), d => d.VmId == c.VmId));
        Assert.All(fx.Scheduler.Bus.Received<DeleteVm>().Where(d => creates.Any(c => c.VmId == d.VmId)), d => Assert.Equal(org, d.OrganizationId));
        var releasedEvent = await fx.Scheduler.Bus.WaitForAsync<LeaseReleased>(e => e.LeaseId == id);
        Assert.Equal(creates.Select(c => c.VmId).Order(), releasedEvent.VmIds.Order());
        var afterRelease = await fx.Client.LeaseAsync(token, id);
        Assert.Equal("released", afterRelease.Str("status"));
        Assert.Empty(afterRelease.Items("access"));

        // The scheduler deletes the VMs: the lease shows them gone.
        for (var i = 0; i < 2; i++) await fx.Scheduler.DeleteAsync(creates[i], workers[i], 4);
        var gone = await Eventually.GetAsync(() => fx.Client.LeaseAsync(token, id), l => l.Str("placement") == "deleted");
        Assert.All(gone.Items("vms"), v => Assert.Equal("deleted", v.Str("status")));

        // A released lease can be neither extended nor released again.
        await (await fx.Client.PostAsync($"/api/v1/leases/{id}/extend", new { additional_hours = 1 }, token)).JsonAsync(HttpStatusCode.Conflict);
        await (await fx.Client.PostAsync($"/api/v1/leases/{id}/release", null, token)).JsonAsync(HttpStatusCode.Conflict);
        Assert.Single(fx.Scheduler.Bus.Received<LeaseReleased>(), e => e.LeaseId == id);
    }

    [Fact]
    public async Task Without_an_ssh_key_a_password_is_generated_and_shown_only_in_the_rent_response()
    {
        var token = LeaseFixture.NewTenant(out _);
        var rented = await fx.Client.RentAsync(token, new { duration_hours = 1, count = 2 });
        var id = rented.Id();
        var access = rented.Items("access");
        Assert.Equal(2, access.Count);
        var password = access[0].Str("password")!;
        Assert.Equal(20, password.Length);
        Assert.All(access, a =>
        {
            Assert.Equal("password", a.Str("auth"));
            Assert.Equal(password, a.Str("password"));
        });
        // Another lease gets another password.
        var other = await fx.Client.RentAsync(token, new { duration_hours = 1 });
        Assert.NotEqual(password, other.Items("access")[0].Str("password"));

        // Later reads say a password is used, never which.
        var read = await fx.Client.LeaseAsync(token, id);
        Assert.All(read.Items("access"), a =>
        {
            Assert.Equal("password", a.Str("auth"));
            Assert.False(a.TryGetProperty("password", out _));
        });
        var list = await (await fx.Client.GetAsync("/api/v1/leases", token)).JsonAsync(HttpStatusCode.OK);
        Assert.DoesNotContain(password, list.GetRawText());
        Assert.DoesNotContain(password, read.GetRawText());

        // Stored only as a bcrypt hash of it; and not in the log.
        var stored = await fx.Factory.DbAsync(db => db.Leases.FindAsync(id).AsTask());
        Assert.StartsWith("$2b$", stored!.PasswordHash);
        Assert.True(Org.BouncyCastle.Crypto.Generators.OpenBsdBCrypt.CheckPassword(stored.PasswordHash!, password.ToCharArray()));
        Assert.DoesNotContain(fx.Factory.Logs.Lines, l => l.Contains(password, StringComparison.Ordinal));
        // The VMs are given that hash, to set the account's password with; the password itself goes nowhere.
        Assert.All(await fx.Scheduler.CreatesAsync(id, 2), c => Assert.Equal(new VmAccess("aetherium", null, stored.PasswordHash), c.Access));
    }

    [Fact]
    public async Task A_lease_whose_vms_cannot_be_placed_says_so_with_the_reason_and_logs_a_warning()
    {
        var token = LeaseFixture.NewTenant(out _);
        var rented = await fx.Client.RentAsync(token, new { duration_hours = 1, count = 2, spec = new { cpu_cores = 64 } });
        var id = rented.Id();
        var creates = await fx.Scheduler.CreatesAsync(id, 2);

        const string reason = "no active worker has 64 free CPU cores";
        await fx.Scheduler.UnschedulableAsync(creates[0], reason);
        var reported = await Eventually.GetAsync(() => fx.Client.LeaseAsync(token, id), l => l.Str("placement") == "unschedulable");
        var vm = reported.Items("vms").Single(v => v.Id() == creates[0].VmId);
        Assert.Equal("unschedulable", vm.Str("status"));
        Assert.Equal(reason, vm.Str("status_reason"));
        Assert.Contains(fx.Factory.Logs.Lines, l => l.StartsWith("Warning") && l.Contains(id.ToString()) && l.Contains(reason));

        // Capacity appears: the scheduler places both and the lease is placed.
        await fx.Scheduler.RunAsync(creates[0], Guid.NewGuid(), "10.1.0.1", 2200);
        await fx.Scheduler.RunAsync(creates[1], Guid.NewGuid(), "10.1.0.2", 2200);
        var placed = await Eventually.GetAsync(() => fx.Client.LeaseAsync(token, id), l => l.Str("placement") == "placed");
        Assert.All(placed.Items("vms"), v => Assert.False(v.TryGetProperty("status_reason", out _)));
    }

    [Fact]
    public async Task Late_and_redelivered_vm_events_do_not_undo_newer_state()
    {
        var token = LeaseFixture.NewTenant(out _);
        var id = (await fx.Client.RentAsync(token, new { duration_hours = 1 })).Id();
        var vm = (await fx.Scheduler.CreatesAsync(id, 1)).Single();
        var worker = Guid.NewGuid();
        await fx.Scheduler.RunAsync(vm, worker, "10.2.0.1", 2201);
        await Eventually.GetAsync(() => fx.Client.LeaseAsync(token, id), l => l.Items("vms")[0].Str("status") == "running");

        // Arriving after "running" (v3): an older state change, a late VmScheduled, and v3 itself again.
        await fx.Scheduler.StateAsync(vm, worker, VmStatus.Scheduled, VmStatus.Provisioning, 2, "10.9.9.9", 9999);
        await fx.Scheduler.Bus.PublishAsync(new VmScheduled(vm.VmId, vm.OrganizationId, vm.LeaseId, Guid.NewGuid(), vm.Spec, DateTimeOffset.UtcNow));
        await fx.Scheduler.StateAsync(vm, worker, VmStatus.Provisioning, VmStatus.Running, 3, "10.2.0.1", 2201);
        // A newer change that is applied, as a marker that everything published before it was handled.
        await Task.Delay(500);
        await fx.Scheduler.StateAsync(vm, worker, VmStatus.Running, VmStatus.Stopped, 4);
        var lease = await Eventually.GetAsync(() => fx.Client.LeaseAsync(token, id), l => l.Items("vms")[0].Str("status") == "stopped");
        Assert.Equal(worker, lease.Items("vms")[0].Id("worker_id"));
        var stored = await fx.Factory.DbAsync(db => db.LeaseVms.FindAsync(vm.VmId).AsTask());
        Assert.Equal(("10.2.0.1", 2201, 4L), (stored!.WorkerAddress, stored.Port, stored.Version));
        // A stopped VM cannot be reached, so its access entry has no address.
        Assert.False(lease.Items("access")[0].TryGetProperty("host", out _));
    }

    [Fact]
    public async Task Pricing_tiers_come_from_the_database_and_price_each_lease_and_extension()
    {
        var tiers = (await (await fx.Client.GetAsync("/api/v1/pricing", null)).JsonAsync(HttpStatusCode.OK)).Items("tiers");
        Assert.Equal(["standard", "gpu"], tiers.Select(t => t.Str("id")));
        Assert.All(tiers, t => Assert.Equal("USD", t.Str("currency")));
        JsonElement Tier(string id) => tiers.Single(t => t.Str("id") == id);
        decimal Price(JsonElement t, string field) => t.GetProperty(field).GetDecimal();

        var token = LeaseFixture.NewTenant(out _);
        var standard = Tier("standard");
        var rented = await fx.Client.RentAsync(token, new { duration_hours = 1.5, count = 3, spec = new { cpu_cores = 2, memory_mb = 4096, disk_gb = 40 } });
        var expectedHourly = 3 * (2 * Price(standard, "price_per_vcpu_hour") + 4 * Price(standard, "price_per_gb_memory_hour")
                                  + 40 * Price(standard, "price_per_gb_disk_hour"));
        var cost = rented.GetProperty("cost");
        Assert.Equal("standard", cost.Str("tier"));
        Assert.Equal("USD", cost.Str("currency"));
        Assert.Equal(expectedHourly, cost.GetProperty("hourly").GetDecimal());
        Assert.Equal(Math.Round(expectedHourly * 1.5m, 6), cost.GetProperty("total").GetDecimal());

        var gpu = Tier("gpu");
        var gpuLease = await fx.Client.RentAsync(token, new { duration_seconds = 1800, spec = new { requires_gpu = true, gpu_count = 2 } });
        var gpuHourly = 1 * Price(gpu, "price_per_vcpu_hour") + 1 * Price(gpu, "price_per_gb_memory_hour")
                        + 10 * Price(gpu, "price_per_gb_disk_hour") + 2 * Price(gpu, "price_per_gpu_hour");
        Assert.Equal("gpu", gpuLease.GetProperty("cost").Str("tier"));
        Assert.Equal(gpuHourly, gpuLease.GetProperty("cost").GetProperty("hourly").GetDecimal());
        Assert.Equal(Math.Round(gpuHourly / 2, 6), gpuLease.GetProperty("cost").GetProperty("total").GetDecimal());

        var extended = await (await fx.Client.PostAsync($"/api/v1/leases/{gpuLease.Id()}/extend", new { additional_seconds = 900 }, token)).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(Math.Round(gpuHourly / 4, 6), extended.GetProperty("added_cost").GetDecimal());
        Assert.Equal(Math.Round(gpuHourly / 2, 6) + Math.Round(gpuHourly / 4, 6), extended.GetProperty("total_cost").GetDecimal());
        output.WriteLine($"standard 3 x (2 vCPU, 4 GB, 40 GB) for 1.5 h: {cost.GetProperty("total")}; gpu 2 GPUs for 30 min + 15 min: {extended.GetProperty("total_cost")}");
    }
}
