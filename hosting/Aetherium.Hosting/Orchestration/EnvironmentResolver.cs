using Aetherium.Hosting.ApplicationModel;

namespace Aetherium.Hosting.Orchestration;

/// <summary>How a resource is addressed where the project runs: localhost ports here, Service DNS names in Kubernetes.</summary>
public interface IAddressing
{
    /// <summary>URLs of every replica of a project, as others reach it.</summary>
    IReadOnlyList<string> ServiceUrls(ProjectResource project);
    /// <summary>What the replica itself listens on (ASPNETCORE_URLS).</summary>
    string ListenUrls(ProjectResource project, int replica);
    ValueSource ConnectionString(IResourceWithConnectionString resource);
    /// <summary>The OTLP endpoint (and headers) projects export to, or null for none.</summary>
    (string Endpoint, string? Headers)? Otlp { get; }
    /// <summary>service.instance.id of a replica.</summary>
    string InstanceId(ProjectResource project, int replica);
    /// <summary>Where a project is reached from outside (browsers, agents).</summary>
    string PublicUrl(ProjectResource project);
    DeploymentTarget Target { get; }
}

public enum DeploymentTarget { Local, Kubernetes }

/// <summary>
/// The environment a project replica receives, by Aspire's exact conventions (DESIGN §3 point 3), so a
/// service cannot tell it does not run under Aspire. One function for the launcher and the publisher.
/// </summary>
public static class EnvironmentResolver
{
    public static IReadOnlyDictionary<string, ValueSource> For(ProjectResource project, int replica, IAddressing addressing, bool development = true)
    {
        var env = new SortedDictionary<string, ValueSource>(StringComparer.Ordinal);
        var environmentName = development ? "Development" : "Production";
        env["DOTNET_ENVIRONMENT"] = environmentName;
        env["ASPNETCORE_ENVIRONMENT"] = environmentName;
        // Colours only for the launcher's console; pod logs want plain text, and JSON for collectors.
        env["DOTNET_SYSTEM_CONSOLE_ALLOW_ANSI_COLOR_REDIRECTION"] = development ? "true" : "false";
        env["LOGGING__CONSOLE__FORMATTERNAME"] = development ? "simple" : "json";
        env["LOGGING__CONSOLE__FORMATTEROPTIONS__TIMESTAMPFORMAT"] = "yyyy-MM-ddTHH:mm:ss.fffffff ";
        if (project.HasHttpEndpoint)
            env["ASPNETCORE_URLS"] = addressing.ListenUrls(project, replica);

        env["OTEL_SERVICE_NAME"] = project.Name;
        env["OTEL_RESOURCE_ATTRIBUTES"] = $"service.instance.id={addressing.InstanceId(project, replica)}";
        env["OTEL_TRACES_SAMPLER"] = "always_on";
        env["OTEL_METRICS_EXEMPLAR_FILTER"] = "trace_based";
        env["OTEL_DOTNET_EXPERIMENTAL_OTLP_EMIT_EXCEPTION_LOG_ATTRIBUTES"] = "true";
        env["OTEL_DOTNET_EXPERIMENTAL_OTLP_EMIT_EVENT_LOG_ATTRIBUTES"] = "true";
        env["OTEL_DOTNET_EXPERIMENTAL_OTLP_RETRY"] = "in_memory";
        // Aspire shortens export delays in development so the dashboard is live; elsewhere the
        // OpenTelemetry defaults, written out so they can be tuned in one place.
        env["OTEL_BLRP_SCHEDULE_DELAY"] = "1000";
        env["OTEL_BSP_SCHEDULE_DELAY"] = development ? "1000" : "5000";
        env["OTEL_METRIC_EXPORT_INTERVAL"] = development ? "1000" : "60000";
        if (addressing.Otlp is var (endpoint, headers))
        {
            env["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint;
            env["OTEL_EXPORTER_OTLP_PROTOCOL"] = "grpc";
            if (headers is not null) env["OTEL_EXPORTER_OTLP_HEADERS"] = new ValueSource(() => headers, secret: true);
        }

        foreach (var reference in project.References)
        {
            switch (reference)
            {
                case IResourceWithConnectionString cs:
                    env[$"ConnectionStrings__{cs.ConnectionName}"] = addressing.ConnectionString(cs);
                    break;
                case ProjectResource other:
                    var urls = addressing.ServiceUrls(other);
                    for (var i = 0; i < urls.Count; i++) env[$"services__{other.Name}__http__{i}"] = urls[i];
                    break;
            }
        }
        foreach (var (name, value) in project.Environment) env[name] = value.Bind(addressing);
        return env;
    }

    public static Dictionary<string, string?> Resolve(IReadOnlyDictionary<string, ValueSource> env) =>
        env.ToDictionary(e => e.Key, e => (string?)e.Value.Resolve(), StringComparer.Ordinal);

    /// <summary>For display: secret values replaced by asterisks.</summary>
    public static Dictionary<string, string> Masked(IReadOnlyDictionary<string, ValueSource> env) =>
        env.ToDictionary(e => e.Key, e => e.Value.IsSecret ? "********" : e.Value.Resolve(), StringComparer.Ordinal);
}

/// <summary>Addressing on this machine: every replica on its own localhost port.</summary>
public sealed class LocalAddressing(string runId, (string Endpoint, string? Headers)? otlp) : IAddressing
{
    public IReadOnlyList<string> ServiceUrls(ProjectResource project) =>
        Enumerable.Range(0, project.Ports.Count).Select(project.Url).ToList();

    public string ListenUrls(ProjectResource project, int replica) => project.Url(replica);

    public ValueSource ConnectionString(IResourceWithConnectionString resource) => new(resource.GetConnectionString, secret: true);

    public (string Endpoint, string? Headers)? Otlp { get; } = otlp;

    public string InstanceId(ProjectResource project, int replica) => $"{project.Name}-{runId}-{replica}";

    public string PublicUrl(ProjectResource project) => project.Url();

    public DeploymentTarget Target => DeploymentTarget.Local;
}
