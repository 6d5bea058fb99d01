namespace Aetherium.Hosting;

/// <summary>
/// Aspire's IDistributedApplicationLifecycleHook, as far as ours needs it: code that runs beside the app model,
/// started before its resources and stopped after them (the AppHost's dashboard is one).
/// </summary>
public interface IDistributedApplicationLifecycleHook
{
    /// <summary>Before any resource starts; the OTLP receiver, when there is one, is already listening.</summary>
    Task BeforeStartAsync(DistributedApplication app, CancellationToken ct);

    /// <summary>After every resource has stopped.</summary>
    Task AfterStopAsync(DistributedApplication app) => Task.CompletedTask;
}
