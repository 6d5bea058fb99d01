using System.Net;
using Aetherium.Contracts;
using Aetherium.Lease.Expiry;
using Aetherium.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit;
using Xunit.Abstractions;

namespace Aetherium.Lease.Tests;

/// <summary>Each test has its own database and virtual host: they count every message on the bus.</summary>
public sealed class ExpiryTests(ITestOutputHelper output)
{
    /// <summary>
    /// DESIGN §9 asks for 1 s, which the lease-expiry benchmark measures. Tests print the lag and assert it
    /// with slack: they share 2 cores with other suites and builds (load averages of 30 were seen).
    /// </summary>
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task A_short_lease_expires_on_its_own_and_its_vms_deletion_is_ordered_within_a_second_of_its_end()
    {
        var settings = await LeaseFactory.SettingsAsync("expiry");
        await using var scheduler = await SchedulerDouble.StartAsync(settings.MessagingConnectionString);
        await using var lease = await LeaseFactory.StartAsync(settings);
        var client = lease.CreateClient();
        var token = LeaseFixture.NewTenant(out var org);

        var rented = await client.RentAsync(token, new { duration_seconds = 8, count = 2 });
        var id = rented.Id();
        var end = rented.Time("leased_until");
        var creates = await scheduler.CreatesAsync(id, 2);
        for (var i = 0; i < 2; i++) await scheduler.RunAsync(creates[i], Guid.NewGuid(), "10.3.0.1", 2300 + i);
        await Eventually.GetAsync(() => client.LeaseAsync(token, id), l => l.Str("placement") == "placed");
        Assert.Empty(scheduler.Bus.Received<DeleteVm>());

        var ordered = await scheduler.DeletesAsync(creates.Select(c => c.VmId), TimeSpan.FromSeconds(15));
        var lag = ordered - end;
        output.WriteLine($"lease end -> DeleteVm for both VMs received: {lag.TotalMilliseconds:0} ms");
        Assert.True(lag >= TimeSpan.Zero, $"deletion ordered {-lag.TotalMilliseconds:0} ms before the end");
        Assert.True(lag < Generous, $"deletion ordered {lag.TotalMilliseconds:0} ms after the end");
        Assert.All(scheduler.Bus.Received<DeleteVm>(), d => Assert.Equal((org, "lease expired"), (d.OrganizationId, d.Reason)));

        var expired = await scheduler.Bus.WaitForAsync<LeaseExpired>(e => e.LeaseId == id);
        Assert.Equal(end, expired.LeasedUntil);
        Assert.Equal(creates.Select(c => c.VmId).Order(), expired.VmIds.Order());
        var read = await client.LeaseAsync(token, id);
        Assert.Equal("expired", read.Str("status"));
        Assert.Empty(read.Items("access"));
        Assert.All(read.Items("vms"), v => Assert.Equal("deleting", v.Str("status")));

        // An expired lease cannot be extended or released.
        await (await client.PostAsync($"/api/v1/leases/{id}/extend", new { additional_hours = 1 }, token)).JsonAsync(HttpStatusCode.Conflict);
        await (await client.PostAsync($"/api/v1/leases/{id}/release", null, token)).JsonAsync(HttpStatusCode.Conflict);
        Assert.Equal(2, scheduler.Bus.Received<DeleteVm>().Count);
    }

    [Fact]
    public async Task An_extended_lease_expires_at_its_new_end_not_the_old_one()
    {
        var settings = await LeaseFactory.SettingsAsync("extended");
        await using var scheduler = await SchedulerDouble.StartAsync(settings.MessagingConnectionString);
        await using var lease = await LeaseFactory.StartAsync(settings);
        var client = lease.CreateClient();
        var token = LeaseFixture.NewTenant(out _);

        var rented = await client.RentAsync(token, new { duration_seconds = 5 });
        var extended = await (await client.PostAsync($"/api/v1/leases/{rented.Id()}/extend", new { additional_seconds = 3 }, token)).JsonAsync(HttpStatusCode.OK);
        var newEnd = extended.Time("new_end_at");
        Assert.Equal(rented.Time("leased_until") + TimeSpan.FromSeconds(3), newEnd);
        var vm = (await scheduler.CreatesAsync(rented.Id(), 1)).Single();

        var ordered = await scheduler.DeletesAsync([vm.VmId], TimeSpan.FromSeconds(20));
        output.WriteLine($"old end -> DeleteVm {(ordered - rented.Time("leased_until")).TotalMilliseconds:0} ms, new end -> DeleteVm {(ordered - newEnd).TotalMilliseconds:0} ms");
        Assert.True(ordered >= newEnd, "not expired at the old end");
        Assert.True(ordered - newEnd < Generous);
    }

    [Fact]
    public async Task A_lease_past_its_end_cannot_be_extended_or_released_even_before_it_is_expired()
    {
        var settings = await LeaseFactory.SettingsAsync("ended");
        await using var scheduler = await SchedulerDouble.StartAsync(settings.MessagingConnectionString);
        // The only replica runs without its expiry loop: the lease stays "active" in the database after its end.
        await using var factory = new LeaseFactory(settings);
        var withoutLoop = factory.WithWebHostBuilder(b => b.ConfigureTestServices(s =>
            s.Remove(s.Single(d => d.ServiceType == typeof(IHostedService) && d.ImplementationType == typeof(ExpiryLoop)))));
        await Health.WaitHealthyAsync(withoutLoop.Services);
        var client = withoutLoop.CreateClient();
        var token = LeaseFixture.NewTenant(out _);

        var rented = await client.RentAsync(token, new { duration_seconds = 5 });
        var id = rented.Id();
        var wait = rented.Time("leased_until") - DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(300);
        if (wait > TimeSpan.Zero) await Task.Delay(wait);
        Assert.Equal("active", (await client.LeaseAsync(token, id)).Str("status"));

        var extend = await (await client.PostAsync($"/api/v1/leases/{id}/extend", new { additional_hours = 1 }, token)).JsonAsync(HttpStatusCode.Conflict);
        Assert.Contains("ended", extend.Str("detail"));
        await (await client.PostAsync($"/api/v1/leases/{id}/release", null, token)).JsonAsync(HttpStatusCode.Conflict);
        Assert.Equal(rented.Time("leased_until"), (await client.LeaseAsync(token, id)).Time("leased_until"));
        Assert.Empty(scheduler.Bus.Received<DeleteVm>());
    }

    [Fact]
    public async Task A_lease_that_ended_while_the_service_was_stopped_expires_as_soon_as_it_is_back()
    {
        var settings = await LeaseFactory.SettingsAsync("restart");
        await using var scheduler = await SchedulerDouble.StartAsync(settings.MessagingConnectionString);
        Guid id;
        DateTimeOffset end;
        CreateVm vm;
        var token = LeaseFixture.NewTenant(out _);
        await using (var first = await LeaseFactory.StartAsync(settings))
        {
            var rented = await first.CreateClient().RentAsync(token, new { duration_seconds = 15 });
            (id, end) = (rented.Id(), rented.Time("leased_until"));
            vm = (await scheduler.CreatesAsync(id, 1)).Single();
        }
        Assert.True(DateTimeOffset.UtcNow < end, "the service stopped before the lease ended");

        // Stopped until well after the end: nobody ordered the deletion.
        var wait = end - DateTimeOffset.UtcNow + TimeSpan.FromSeconds(2);
        if (wait > TimeSpan.Zero) await Task.Delay(wait);
        Assert.Empty(scheduler.Bus.Received<DeleteVm>());

        var started = DateTimeOffset.UtcNow;
        await using var second = await LeaseFactory.StartAsync(settings);
        var healthy = DateTimeOffset.UtcNow;
        var ordered = await scheduler.DeletesAsync([vm.VmId], TimeSpan.FromSeconds(20));
        output.WriteLine($"restart -> healthy {(healthy - started).TotalMilliseconds:0} ms; healthy -> DeleteVm {(ordered - healthy).TotalMilliseconds:0} ms; lease ended {(started - end).TotalSeconds:0.0} s before the restart");
        Assert.True(ordered - healthy < Generous, "caught up at once after start-up");
        await scheduler.Bus.WaitForAsync<LeaseExpired>(e => e.LeaseId == id);
        Assert.Equal("expired", (await second.CreateClient().LeaseAsync(token, id)).Str("status"));
        await Task.Delay(1000);
        Assert.Single(scheduler.Bus.Received<DeleteVm>());
    }

    [Fact]
    public async Task Two_replicas_expire_each_lease_exactly_once()
    {
        var settings = await LeaseFactory.SettingsAsync("replicas");
        await using var scheduler = await SchedulerDouble.StartAsync(settings.MessagingConnectionString);
        await using var a = await LeaseFactory.StartAsync(settings);
        await using var b = await LeaseFactory.StartAsync(settings);
        var clients = new[] { a.CreateClient(), b.CreateClient() };
        var token = LeaseFixture.NewTenant(out _);

        // 40 leases of 2 VMs rented through both replicas, ending within the same few seconds.
        var rented = await Task.WhenAll(Enumerable.Range(0, 40).Select(i =>
            clients[i % 2].RentAsync(token, new { duration_seconds = 6 + i % 4 * 0.25, count = 2, ssh_public_key = SshKeys.Ed25519() })));
        var vmIds = rented.SelectMany(r => r.Items("vms").Select(v => v.Id())).ToList();
        var lastEnd = rented.Max(r => r.Time("leased_until"));

        var ordered = await scheduler.DeletesAsync(vmIds, TimeSpan.FromSeconds(30));
        await Eventually.TrueAsync(() => Task.FromResult(scheduler.Bus.Received<LeaseExpired>().Count >= rented.Length), TimeSpan.FromSeconds(10));
        output.WriteLine($"last end -> last DeleteVm {(ordered - lastEnd).TotalMilliseconds:0} ms");
        await Task.Delay(2000); // time for a second copy to show up if one were sent

        var deletes = scheduler.Bus.Received<DeleteVm>();
        Assert.Equal(vmIds.Order(), deletes.Select(d => d.VmId).Order());
        var expired = scheduler.Bus.Received<LeaseExpired>();
        Assert.Equal(rented.Select(r => r.Id()).Order(), expired.Select(e => e.LeaseId).Order());
        var byReplica = new[] { a, b }.Select(f => f.Logs.Lines.Where(l => l.Contains("Expired ") && l.Contains("lease(s)")).Count()).ToList();
        output.WriteLine($"expiry batches committed by replica a: {byReplica[0]}, b: {byReplica[1]}");
        Assert.True(ordered - lastEnd < Generous);
    }
}
