using Aetherium.Inventory.Telemetry;

namespace Aetherium.Inventory.Workers;

public static class WorkerRoutes
{
    /// <summary>Every /workers route, mapped on a group (used for /workers and its alias /nodes).</summary>
    public static RouteGroupBuilder MapWorkerRoutes(this RouteGroupBuilder g)
    {
        g.MapWorkerCrud();
        g.MapWorkerToken();
        g.MapWorkerTokenList();
        g.MapWorkerLifecycle();
        g.MapWorkerVms();
        g.MapWorkerMetrics();
        return g;
    }
}
