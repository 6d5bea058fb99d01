using Aetherium.Agent.Simulation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Aetherium.Agent.Hosting;

/// <summary>`aetherium-agent simulate`: a fleet in one host, with its memory figures logged as it connects.</summary>
public static class FleetHost
{
    public static async Task<int> RunAsync(Uri controller, IReadOnlyList<FleetMember> members, FleetOptions options)
    {
        var builder = Host.CreateApplicationBuilder();
        AgentHost.ConfigureLogging(builder);
        // A thousand agents that all lose the controller log a thousand warnings; the fleet's own summary is what matters.
        builder.Logging.AddFilter("Aetherium.Agent.Fleet", LogLevel.Warning);
        builder.Logging.AddFilter("Aetherium.Agent.Fleet.Status", LogLevel.Information);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(30));
        builder.Services.AddSingleton(sp => new Fleet(controller, members, options, sp.GetRequiredService<ILoggerFactory>()));
        builder.Services.AddHostedService<FleetWorker>();
        using var host = builder.Build();
        await host.RunAsync();
        return 0;
    }
}

internal sealed class FleetWorker(Fleet fleet, ILoggerFactory loggers) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var log = loggers.CreateLogger("Aetherium.Agent.Fleet.Status");
        GC.Collect();
        var before = Fleet.ResidentBytes();
        log.LogInformation("fleet starting: {Count} agents, rss {Rss:0.0} MiB", fleet.Agents.Count, before / 1048576.0);
        var running = fleet.RunAsync(stoppingToken);
        var allRegisteredReported = false;
        while (!running.IsCompleted)
        {
            await Task.WhenAny(running, Task.Delay(TimeSpan.FromSeconds(5), stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default));
            if (stoppingToken.IsCancellationRequested) break;
            var registered = fleet.Registered;
            var all = registered == fleet.Agents.Count;
            if (all && allRegisteredReported) continue;
            allRegisteredReported = all;
            var rss = Fleet.ResidentBytes();
            log.LogInformation("fleet: {Registered}/{Count} registered, rss {Rss:0.0} MiB ({Delta:+0.0;-0.0} MiB since start, {PerAgent:0.0} KiB per agent)",
                registered, fleet.Agents.Count, rss / 1048576.0, (rss - before) / 1048576.0,
                fleet.Agents.Count == 0 ? 0 : (rss - before) / 1024.0 / fleet.Agents.Count);
        }
        await running;
        fleet.Dispose();
    }
}
