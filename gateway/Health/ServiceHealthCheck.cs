using System.Text.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Aetherium.Gateway.Health;

/// <summary>
/// The gateway's /health reports each service behind it (its own /health through service discovery).
/// A sick service makes the gateway Degraded, not Unhealthy: the gateway still routes the others, so
/// it must not be taken out of rotation for it.
/// </summary>
public sealed class ServiceHealthCheck(IHttpClientFactory factory, string service) : IHealthCheck
{
    public const string HttpClientName = "service-health";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        try
        {
            using var response = await factory.CreateClient(HttpClientName).GetAsync($"http://{service}/health", ct);
            var body = await response.Content.ReadAsStringAsync(ct);
            var status = TryStatus(body);
            return response.IsSuccessStatusCode
                ? HealthCheckResult.Healthy($"{service}: {status ?? "Healthy"}")
                : new HealthCheckResult(context.Registration.FailureStatus, $"{service}: {status ?? ((int)response.StatusCode).ToString()}");
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or InvalidOperationException)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"{service} unreachable: {ex.Message}");
        }
    }

    private static string? TryStatus(string body)
    {
        try { return JsonDocument.Parse(body).RootElement.GetProperty("status").GetString(); }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException) { return null; }
    }

    public static IHealthChecksBuilder AddServiceChecks(IHealthChecksBuilder checks, IEnumerable<string> services)
    {
        foreach (var service in services)
            checks.Add(new HealthCheckRegistration(service,
                sp => new ServiceHealthCheck(sp.GetRequiredService<IHttpClientFactory>(), service),
                HealthStatus.Degraded, ["ready"], TimeSpan.FromSeconds(4)));
        return checks;
    }
}
