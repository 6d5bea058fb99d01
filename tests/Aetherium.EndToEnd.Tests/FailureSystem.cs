using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Aetherium.AppHost;
using Aetherium.Hosting;
using Aetherium.Testing.System;
using Xunit.Sdk;

namespace Aetherium.EndToEnd.Tests;

/// <summary>
/// The whole system with short clocks, so failures play out in seconds: agents heartbeat every second
/// and are offline after 4 s without one, unconfirmed deletions end after 5 s, unschedulable VMs are
/// retried every 2 s. The admin's simulated fleet (3 workers, label simulated=true) takes the VMs.
/// </summary>
public abstract class FailureSystemFixture : SystemFixture
{
    public static readonly TimeSpan OfflineTimeout = TimeSpan.FromSeconds(4);

    protected virtual int Replicas => 1;

    protected override void AddConfiguration(IDictionary<string, string?> configuration)
    {
        configuration["Parameters:fleet-size"] = "3";
        configuration["Parameters:replicas"] = Replicas.ToString();
    }

    protected override void Configure(DistributedApplicationBuilder builder)
    {
        builder.SetEnvironment(AetheriumModel.Inventory, "Inventory__HeartbeatInterval", "00:00:01");
        builder.SetEnvironment(AetheriumModel.Inventory, "Inventory__OfflineTimeout", OfflineTimeout.ToString("c"));
        builder.SetEnvironment(AetheriumModel.Scheduler, "Scheduler__DeleteConfirmTimeout", "00:00:05");
        builder.SetEnvironment(AetheriumModel.Scheduler, "Scheduler__UnschedulableRetryInterval", "00:00:02");
        // Tests sign many tenants in and poll the API from one address.
        builder.SetEnvironment(AetheriumModel.Gateway, "Gateway__RateLimits__Auth__PermitLimit", "10000");
        builder.SetEnvironment(AetheriumModel.Gateway, "Gateway__RateLimits__Api__PermitLimit", "100000");
    }

    /// <summary>The admin's client (cluster-wide views), signed in once.</summary>
    public async Task<HttpClient> AdminAsync() => Gateway(await Retry.UntilAsync(() => Api.AdminTokenAsync(Gateway()), TimeSpan.FromSeconds(60)));
}

/// <summary>Its own PostgreSQL and RabbitMQ, which its tests stop and restart.</summary>
public sealed class FailureFixture : FailureSystemFixture
{
    protected override bool PrivateInfrastructure => true;
}

/// <summary>Two replicas of every service behind the one gateway.</summary>
public sealed class ReplicaFailureFixture : FailureSystemFixture
{
    protected override int Replicas => 2;
}

/// <summary>A lease a test rented, and what it asked for.</summary>
public sealed record Rented(Guid Id, int Count, HttpClient Tenant);

public static class Leases
{
    /// <summary>Rents <paramref name="count"/> VMs (1 core, 512 MB) for <paramref name="seconds"/> on workers with these labels.</summary>
    public static async Task<Rented> RentAsync(HttpClient tenant, int count, double seconds, IDictionary<string, string>? labels = null)
    {
        var body = new
        {
            duration_seconds = seconds,
            count,
            spec = new { cpu_cores = 1, memory_mb = 512, disk_gb = 5, labels = labels ?? new Dictionary<string, string> { ["simulated"] = "true" } },
        };
        var lease = await Api.ReadAsync(await tenant.PostAsJsonAsync("/api/v1/leases", body, Api.Json), 201);
        return new Rented(Guid.Parse(lease["id"]!.GetValue<string>()), count, tenant);
    }

    public static async Task<JsonObject> GetAsync(Rented lease) =>
        await Api.ReadAsync(await lease.Tenant.GetAsync($"/api/v1/leases/{lease.Id}"), 200);

    public static IEnumerable<JsonNode> Vms(JsonObject lease) => lease["vms"]!.AsArray().Select(v => v!);

    /// <summary>Waits until every VM of the lease runs; returns the lease.</summary>
    public static Task<JsonObject> RunningAsync(Rented lease, TimeSpan timeout) =>
        Retry.UntilAsync(async () =>
        {
            var l = await GetAsync(lease);
            var vms = Vms(l).ToList();
            return vms.Count == lease.Count && vms.All(v => v["status"]!.GetValue<string>() == "running") ? l : throw new XunitException($"not all running: {l.ToJsonString()}");
        }, timeout);
}

/// <summary>Calls through a system that is partly down: retried until they succeed or the time is up.</summary>
public static class Retry
{
    public static async Task<T> UntilAsync<T>(Func<Task<T>> call, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try { return await call(); }
            catch (Exception ex) when ((ex is HttpRequestException or TaskCanceledException or XunitException or InvalidOperationException) && clock.Elapsed < timeout)
            {
                await Task.Delay(250);
            }
        }
    }
}
