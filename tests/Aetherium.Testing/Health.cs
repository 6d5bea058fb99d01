using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Aetherium.Testing;

public static class Health
{
    /// <summary>
    /// Waits until every health check of a host passes — in particular MassTransit's, which turns
    /// healthy only once the receive endpoints exist. Publish to a service only after this: on a
    /// fresh virtual host, a message published before its queue is bound goes nowhere.
    /// </summary>
    public static async Task WaitHealthyAsync(IServiceProvider services, TimeSpan? timeout = null)
    {
        var health = services.GetRequiredService<HealthCheckService>();
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        HealthReport report;
        while ((report = await health.CheckHealthAsync()).Status != HealthStatus.Healthy)
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException("Not healthy in time: " + string.Join("; ",
                    report.Entries.Where(e => e.Value.Status != HealthStatus.Healthy).Select(e => $"{e.Key}={e.Value.Status} {e.Value.Description}")));
            await Task.Delay(100);
        }
    }
}
