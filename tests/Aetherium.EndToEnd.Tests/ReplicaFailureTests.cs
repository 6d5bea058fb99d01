using System.Diagnostics;
using Aetherium.AppHost;
using Aetherium.Testing.System;
using Xunit;
using Xunit.Abstractions;

namespace Aetherium.EndToEnd.Tests;

/// <summary>Two replicas of every service (Parameters:replicas = 2): competing consumers, two expiry loops, two placement loops.</summary>
public sealed class ReplicaFailureTests(ReplicaFailureFixture system, ITestOutputHelper output) : IClassFixture<ReplicaFailureFixture>
{
    [Fact]
    public async Task With_two_replicas_of_every_service_the_story_holds_and_nothing_is_duplicated()
    {
        foreach (var service in AetheriumModel.Services) Assert.Equal(2, system.App.InstancesOf(service).Count);
        var admin = await system.AdminAsync();
        var tenant = system.Gateway((await Api.NewTenantAsync(system.Gateway(), "replicas")).AccessToken);

        // Rented at once, so both replicas of each service take part: some short (both expiry loops race for them).
        var clock = Stopwatch.StartNew();
        var leases = (await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Leases.RentAsync(tenant, 2, i % 2 == 0 ? 8 : 300)))).ToList();
        var rented = clock.Elapsed;
        await Task.WhenAll(leases.Where((_, i) => i % 2 == 1).Select(l => Leases.RunningAsync(l, TimeSpan.FromSeconds(90))));
        output.WriteLine($"8 leases of 2 VMs rented in {rented.TotalSeconds:0.0} s; the long ones' VMs all running after {clock.Elapsed.TotalSeconds:0.0} s");

        var released = leases[1];
        await Api.ReadAsync(await tenant.PostAsync($"/api/v1/leases/{released.Id}/release", null), 200);
        var settled = await Invariants.AssertAsync(admin, leases, TimeSpan.FromSeconds(90));
        output.WriteLine($"invariant holds {clock.Elapsed.TotalSeconds:0.0} s after the first rent (checked for {settled.TotalSeconds:0.0} s)");

        foreach (var lease in leases)
        {
            var l = await Leases.GetAsync(lease);
            var expected = lease == released ? "released" : leases.IndexOf(lease) % 2 == 0 ? "expired" : "active";
            Assert.Equal(expected, l["status"]!.GetValue<string>());
        }
    }
}
