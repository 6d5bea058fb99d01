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
            var (status, problems) = Read(await response.Content.ReadAsStringAsync(ct));
            var said = $"{service}: {status ?? ((int)response.StatusCode).ToString()}" + (problems is null ? "" : $" ({problems})");
            // A Degraded service answers 200 (it still serves): the aggregate says Degraded all the same, and why.
            return response.IsSuccessStatusCode && status is null or "Healthy"
                ? HealthCheckResult.Healthy(said)
                : new HealthCheckResult(context.Registration.FailureStatus, said);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or InvalidOperationException)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"{service} unreachable: {ex.Message}");
        }
    }

    /// <summary>The service's overall status and its checks that are not healthy ("bus: broker … unreachable …").</summary>
    private static (string? Status, string? Problems) Read(string body)
    {
        try
        {
            var root = JsonDocument.Parse(body).RootElement;
            var problems = root.TryGetProperty("checks", out var checks) && checks.ValueKind == JsonValueKind.Object
                ? string.Join("; ", checks.EnumerateObject()
                    .Where(c => c.Value.TryGetProperty("status", out var s) && s.GetString() != "Healthy")
                    .Select(c => $"{c.Name}: {(c.Value.TryGetProperty("description", out var d) ? d.GetString() : null) ?? c.Value.GetProperty("status").GetString()}"))
                : "";
            return (root.GetProperty("status").GetString(), problems.Length == 0 ? null : problems);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException) { return (null, null); }
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
