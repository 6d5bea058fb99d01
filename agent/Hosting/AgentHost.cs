using Aetherium.Agent.Connection;
using Aetherium.Agent.Facts;
using Aetherium.Agent.Runtime;
using Aetherium.Agent.Runtime.Isolation;
using Aetherium.Agent.Runtime.Process;
using Aetherium.Agent.Runtime.Qemu;
using Aetherium.Agent.Settings;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Aetherium.Agent.Hosting;

/// <summary>`aetherium-agent run` as a .NET Generic Host worker (sd_notify under systemd, SIGTERM = graceful stop).</summary>
public static class AgentHost
{
    /// <summary>Goodbye (3 s) plus every VM's stop grace period (10 s), with room to spare; the unit allows 60 s.</summary>
    private static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(45);

    public static async Task<int> RunAsync(AgentSettings settings)
    {
        Directory.CreateDirectory(settings.DataDirectory);
        var builder = Host.CreateApplicationBuilder();
        ConfigureLogging(builder);
        builder.Services.AddSystemd();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = ShutdownTimeout);
        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton(_ => new ControllerClient(settings.Controller));
        builder.Services.AddSingleton<IMachineFacts>(_ => new HostFacts(settings.DataDirectory, settings.PublicAddress));
        builder.Services.AddSingleton<IRuntimeDriver>(sp => Driver(settings, sp.GetRequiredService<ILoggerFactory>().CreateLogger("Aetherium.Agent.Runtime")));
        builder.Services.AddSingleton(sp => new NodeAgent(
            new AgentOptions { Token = settings.Token },
            sp.GetRequiredService<IMachineFacts>(),
            sp.GetRequiredService<IRuntimeDriver>(),
            sp.GetRequiredService<ControllerClient>(),
            sp.GetRequiredService<ILoggerFactory>().CreateLogger("Aetherium.Agent")));
        builder.Services.AddHostedService<AgentWorker>();
        using var host = builder.Build();
        host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Aetherium.Agent")
            .LogInformation("aetherium-agent {Version} starting: {Settings}", NodeAgent.Version, settings);
        await host.RunAsync();
        return 0;
    }

    private static IRuntimeDriver Driver(AgentSettings settings, ILogger logger) => settings.Runtime switch
    {
        RuntimeNames.Simulated => new SimulatedDriver(),
        RuntimeNames.Qemu => new QemuDriver(new QemuDriverOptions
        {
            DataDirectory = settings.DataDirectory,
            ImageDirectory = settings.ImageDirectory ?? Path.Combine(settings.DataDirectory, "images", "aetherium-tiny"),
        }, logger),
        _ => new ProcessDriver(new ProcessDriverOptions { DataDirectory = settings.DataDirectory, VmUserIds = settings.VmUserIds ?? IdRange.Default }, logger),
    };

    public static void ConfigureLogging(HostApplicationBuilder builder)
    {
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss ";
            o.UseUtcTimestamp = true;
        });
        builder.Logging.AddFilter("Microsoft.Hosting", LogLevel.Warning);
    }
}

/// <summary>Runs the agent until the host stops, then makes sure no VM process outlives it.</summary>
internal sealed class AgentWorker(NodeAgent agent, IRuntimeDriver driver) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await agent.RunAsync(stoppingToken);
        }
        finally
        {
            await driver.DisposeAsync();
        }
    }
}
