using System.Text.Json.Nodes;
using Aetherium.AppHost;
using Aetherium.Testing.System;
using Xunit;
using static Aetherium.EndToEnd.Tests.InfrastructureProbe;

namespace Aetherium.EndToEnd.Tests;

public sealed partial class FailureTests
{
    private static readonly string[] HealthReporters = [.. AetheriumModel.Services, AetheriumModel.Gateway];

    /// <summary>Issue 22: /health said the bus was fine while RabbitMQ was stopped.</summary>
    [Fact]
    public async Task Health_is_degraded_naming_the_bus_and_the_outbox_while_RabbitMQ_is_stopped_and_healthy_after()
    {
        var tenant = await TenantAsync();
        await Retry.UntilAsync(async () => await AllHealthAsync(h => h["status"]!.GetValue<string>() == "Healthy"), Settle);

        await system.App.StopResourceAsync(Messaging);
        try
        {
            // Work accepted during the outage waits in the outbox, and /health says so.
            await Leases.RentAsync(tenant, 1, 300);
            var degraded = await Retry.UntilAsync(() => AllHealthAsync(h =>
                h["status"]!.GetValue<string>() == "Degraded" && Bus(h) is { } bus && bus.Contains("unreachable")), TimeSpan.FromSeconds(30));
            foreach (var (name, health) in degraded) output.WriteLine($"{name}: {health.ToJsonString()}");
            foreach (var service in AetheriumModel.Services)
                Assert.Matches(@"unreachable .*; \d+ messages waiting in the outbox, which still accepts work", Bus(degraded[service]));
            Assert.Matches(@"[1-9]\d* messages waiting in the outbox", Bus(degraded[AetheriumModel.Lease]));
            // The gateway's aggregate is degraded too, naming the services' bus.
            Assert.Contains("bus", degraded[AetheriumModel.Gateway]["checks"]![AetheriumModel.Lease]!["description"]!.GetValue<string>());
        }
        finally
        {
            await system.App.StartResourceAsync(Messaging);
        }
        await Retry.UntilAsync(() => AllHealthAsync(h => h["status"]!.GetValue<string>() == "Healthy"), Settle);
    }

    private static string? Bus(JsonObject health) => health["checks"]?["bus"]?["description"]?.GetValue<string>();

    /// <summary>Every service's and the gateway's /health, once each satisfies <paramref name="condition"/>.</summary>
    private async Task<Dictionary<string, JsonObject>> AllHealthAsync(Func<JsonObject, bool> condition)
    {
        var all = new Dictionary<string, JsonObject>();
        foreach (var name in HealthReporters)
        {
            using var http = system.App.CreateHttpClient(name);
            var response = await http.GetAsync("/health");
            var health = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
            if (!condition(health)) throw new InvalidOperationException($"{name} answers {(int)response.StatusCode} {health.ToJsonString()}");
            all[name] = health;
        }
        return all;
    }
}
