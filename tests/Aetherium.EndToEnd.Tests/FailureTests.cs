using System.Diagnostics;
using Aetherium.AppHost;
using Aetherium.Testing.System;
using Xunit;
using Xunit.Abstractions;
using static Aetherium.EndToEnd.Tests.InfrastructureProbe;

namespace Aetherium.EndToEnd.Tests;

/// <summary>
/// Failures of what the system stands on (its broker, its database, each of its processes), on a system
/// with a PostgreSQL and RabbitMQ of its own. Each test ends with <see cref="Invariants.AssertAsync"/>.
/// </summary>
public sealed partial class FailureTests(FailureFixture system, ITestOutputHelper output) : IClassFixture<FailureFixture>
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(90);

    /// <summary>The invariant, with what lies behind the API printed when it does not hold.</summary>
    private async Task<TimeSpan> InvariantAsync(HttpClient admin, IReadOnlyCollection<Rented> leases, TimeSpan timeout, Func<Guid, int>? processes = null)
    {
        try { return await Invariants.AssertAsync(admin, leases, timeout, processes); }
        catch (Xunit.Sdk.XunitException)
        {
            output.WriteLine(await DiagnoseAsync(system.App));
            throw;
        }
    }

    private async Task<HttpClient> TenantAsync() =>
        system.Gateway((await Retry.UntilAsync(() => Api.NewTenantAsync(system.Gateway(), "failure"), TimeSpan.FromSeconds(60))).AccessToken);

    [Fact]
    public async Task RabbitMQ_stopped_for_20_s_during_VM_creation_and_lease_expiry_loses_and_duplicates_nothing()
    {
        var admin = await system.AdminAsync();
        var tenant = await TenantAsync();
        // Running VMs whose lease ends during the outage, and a lease rented just before it: created during it.
        var ending = await Leases.RentAsync(tenant, 2, 14);
        await Leases.RunningAsync(ending, TimeSpan.FromSeconds(60));
        var creating = await Leases.RentAsync(tenant, 2, 300);
        var createdAndEnded = await Leases.RentAsync(tenant, 1, 6);
        var endsIn = (await Leases.GetAsync(ending))["leased_until"]!.GetValue<DateTimeOffset>() - DateTimeOffset.UtcNow;

        var stopping = Stopwatch.StartNew();
        await system.App.StopResourceAsync(Messaging);
        var outage = Stopwatch.StartNew();
        output.WriteLine($"broker stopped in {stopping.ElapsedMilliseconds} ms; the running lease ends {endsIn.TotalSeconds:0.0} s after the stop began");
        long maxPending = 0;
        var maxAttempts = 0;
        while (outage.Elapsed < TimeSpan.FromSeconds(20))
        {
            var outboxes = await OutboxesAsync(system.App);
            maxPending = Math.Max(maxPending, outboxes.Sum(o => o.Pending));
            maxAttempts = Math.Max(maxAttempts, outboxes.Max(o => o.MaxAttempts));
            await Task.Delay(1000);
        }
        // The API keeps answering from the databases while the bus is down.
        Assert.Equal("active", (await Leases.GetAsync(creating))["status"]!.GetValue<string>());
        var ended = await Leases.GetAsync(ending);
        output.WriteLine($"during the outage: at most {maxPending} messages waiting in the outboxes, the most-tried one tried {maxAttempts} times; running lease is {ended["status"]}");

        var back = Stopwatch.StartNew();
        await system.App.StartResourceAsync(Messaging);
        output.WriteLine($"broker stopped for {outage.Elapsed.TotalSeconds - back.Elapsed.TotalSeconds:0.0} s, then took {back.Elapsed.TotalSeconds:0.0} s to boot (unreachable {stopping.Elapsed.TotalSeconds:0.0} s in all)");
        await Leases.RunningAsync(creating, Settle);
        output.WriteLine($"VMs rented before the outage running {back.Elapsed.TotalSeconds:0.0} s after the broker started");

        var recovered = await InvariantAsync(admin, [ending, creating, createdAndEnded], Settle);
        // Everything the services wrote during the outage reaches the broker; a row written a moment ago may still be on its way.
        var drained = Stopwatch.StartNew();
        var outboxAfter = await OutboxesAsync(system.App);
        while (outboxAfter.Any(o => o.Pending > 0) && drained.Elapsed < TimeSpan.FromSeconds(15))
        {
            await Task.Delay(500);
            outboxAfter = await OutboxesAsync(system.App);
        }
        var broker = await BrokerAsync(system.App);
        output.WriteLine($"invariant holds {back.Elapsed.TotalSeconds:0.0} s after the broker started (checked in {recovered.TotalSeconds:0.0} s); " +
                         $"outboxes now {outboxAfter.Sum(o => o.Pending)}; since the restart the broker took {broker.Published} publishes, " +
                         $"redelivered {broker.Redelivered}, holds {broker.InErrorQueues} in error queues ({broker.Queues} queues)");
        Assert.All(outboxAfter, o => Assert.True(o.Pending == 0, $"{o.Service}'s outbox still holds {o.Pending} messages (the most-tried one tried {o.MaxAttempts} times)"));
        Assert.True(broker.InErrorQueues == 0, $"messages in error queues: {broker.ErrorQueues}");
    }

    [Fact]
    public async Task PostgreSQL_restarted_mid_flow_loses_and_duplicates_nothing()
    {
        var admin = await system.AdminAsync();
        var tenant = await TenantAsync();
        var running = await Leases.RentAsync(tenant, 2, 300);
        var before = await Leases.RunningAsync(running, TimeSpan.FromSeconds(60));
        var placedOn = Leases.Vms(before).ToDictionary(v => v["id"]!.GetValue<string>(), v => v["worker_id"]!.GetValue<string>());
        var creating = await Leases.RentAsync(tenant, 2, 300);
        var expiring = await Leases.RentAsync(tenant, 2, 8);

        var restart = Stopwatch.StartNew();
        await system.App.StopResourceAsync(Postgres);
        var stopped = restart.Elapsed;
        await system.App.StartResourceAsync(Postgres);
        output.WriteLine($"PostgreSQL stopped in {stopped.TotalSeconds:0.0} s, accepting connections again after {restart.Elapsed.TotalSeconds:0.0} s");

        var back = Stopwatch.StartNew();
        var firstAnswer = await Retry.UntilAsync(async () => { await Leases.GetAsync(creating); return back.Elapsed; }, Settle);
        await InvariantAsync(admin, [running, creating, expiring], Settle);
        output.WriteLine($"the lease API answers {firstAnswer.TotalSeconds:0.0} s after PostgreSQL came back; invariant holds after {back.Elapsed.TotalSeconds:0.0} s");

        var after = await Leases.GetAsync(running);
        var moved = Leases.Vms(after).Count(v => placedOn[v["id"]!.GetValue<string>()] != v["worker_id"]!.GetValue<string>());
        output.WriteLine($"{moved} of {placedOn.Count} running VMs moved to another worker because of the restart");
        Assert.Equal(0, moved); // a database restart is no worker failure
    }

    [Fact]
    public async Task Each_service_killed_once_mid_flow_loses_and_duplicates_nothing()
    {
        var admin = await system.AdminAsync();
        var tenant = await TenantAsync();
        var leases = new List<Rented>();
        var round = 0;
        foreach (var service in (string[])[AetheriumModel.Identity, AetheriumModel.Inventory, AetheriumModel.Scheduler, AetheriumModel.Lease, AetheriumModel.Gateway])
        {
            // Every other lease short, so that some expire while the next service is down.
            var lease = await Retry.UntilAsync(() => Leases.RentAsync(tenant, 2, round++ % 2 == 0 ? 8 : 300), Settle);
            leases.Add(lease);
            var instance = system.App.Instance(service);
            var restarts = instance.Restarts;
            var killed = Stopwatch.StartNew();
            system.App.Kill(service);
            await Retry.UntilAsync(() => Task.FromResult(instance.Restarts > restarts ? true : throw new InvalidOperationException("not restarted")), Settle);
            await instance.Healthy.WaitAsync(Settle);
            output.WriteLine($"{service}: SIGKILL right after a rent; healthy again after {killed.Elapsed.TotalSeconds:0.0} s");
        }
        var settle = Stopwatch.StartNew();
        await InvariantAsync(admin, leases, Settle);
        output.WriteLine($"invariant holds {settle.Elapsed.TotalSeconds:0.0} s after the last restart");
    }
}
