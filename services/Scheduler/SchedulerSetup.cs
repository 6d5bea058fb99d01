using Aetherium.Contracts;
using Aetherium.Scheduler.Images;
using Aetherium.Scheduler.Rescheduling;
using Aetherium.Scheduler.Placement;
using Aetherium.Scheduler.Scheduling;
using Aetherium.Scheduler.Vms;
using Aetherium.Scheduler.Workers;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Aetherium.Scheduler;

public static class SchedulerSetup
{
    public static void AddSchedulerConsumers(this IBusRegistrationConfigurator bus)
    {
        bus.AddConsumer<WorkerEventsConsumer>();
        bus.AddConsumer<VmObservedConsumer>();
        bus.AddConsumer<DesiredStateAppliedConsumer>();
        bus.AddConsumer<CreateVmConsumer>();
        bus.AddConsumer<DeleteVmConsumer>();
    }

    /// <summary>Options, the in-memory fleet view, the placement loop, the rescheduler and the deletion sweep.</summary>
    public static IHostApplicationBuilder AddScheduler(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<SchedulerOptions>().BindConfiguration("Scheduler")
            .Validate(o => o.PortRange.Start is > 0 and <= 65535 && o.PortRange.End is > 0 and <= 65535 && o.PortRange.Start <= o.PortRange.End,
                "Scheduler:PortRange must be a range of TCP ports")
            .Validate(o => o.BatchSize > 0 && o.Migration.BatchSize > 0, "batch sizes must be positive")
            .Validate(o => o.Migration.RatePerSecond > 0 && o.Migration.Burst >= 1, "Scheduler:Migration:RatePerSecond must be positive and Burst at least 1")
            .ValidateOnStart();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<SchedulerSignals>();
        services.AddSingleton<FleetView>();
        services.AddSingleton<ImageCatalog>();
        services.AddSingleton<PlacementStats>();
        services.AddSingleton(sp => new Placer(sp.GetRequiredService<IOptions<SchedulerOptions>>().Value.PlacementSettings, new Random()));
        services.AddScoped<PlacementBatch>();
        services.AddScoped<Evacuation>();
        services.AddScoped<VmOperations>();
        services.AddHostedService<PlacementLoop>();
        services.AddHostedService<Rescheduler>();
        services.AddHostedService<DeletionConfirmer>();
        return builder;
    }
}
