using Aetherium.Hosting.ApplicationModel;
using Aetherium.Hosting.Orchestration;
using Npgsql;

namespace Aetherium.Hosting.Publishing;

/// <summary>Addressing inside the cluster: every project behind a Service named after it, on port 8080.</summary>
public sealed class KubernetesAddressing((string Endpoint, string? Headers)? otlp, string publicUrl) : IAddressing
{
    public DeploymentTarget Target => DeploymentTarget.Kubernetes;

    /// <summary>The Ingress URL: only the gateway is exposed.</summary>
    public string PublicUrl(ProjectResource project) => publicUrl;

    public const int ServicePort = 8080;

    public IReadOnlyList<string> ServiceUrls(ProjectResource project) => [$"http://{project.Name}:{ServicePort}"];

    public string ListenUrls(ProjectResource project, int replica) => $"http://+:{ServicePort}";

    public ValueSource ConnectionString(IResourceWithConnectionString resource) => new(() => resource switch
    {
        PostgresServerResource { IsExternal: true } s => s.ExternalConnectionString!,
        PostgresServerResource s => $"Host={s.Name};Port=5432;Username={s.Username};Password={s.Password.Value}",
        PostgresDatabaseResource { Server.IsExternal: true } d => d.GetConnectionString(),
        PostgresDatabaseResource d => $"Host={d.Server.Name};Port=5432;Username={d.Server.Username};Password={d.Server.Password.Value};Database={d.DatabaseName}",
        RabbitMQServerResource { IsExternal: true } m => m.ExternalConnectionString!,
        RabbitMQServerResource m => $"amqp://{Uri.EscapeDataString(m.Username.Value)}:{Uri.EscapeDataString(m.Password.Value)}@{m.Name}:5672",
        _ => throw new NotSupportedException(resource.GetType().Name),
    }, secret: true);

    public (string Endpoint, string? Headers)? Otlp { get; } = otlp;

    /// <summary>Each pod names itself: the Deployment sets POD_NAME from the downward API.</summary>
    public string InstanceId(ProjectResource project, int replica) => "$(POD_NAME)";

    /// <summary>For tests: a database's name as its connection string in the cluster has it.</summary>
    public static string DatabaseOf(string connectionString) => new NpgsqlConnectionStringBuilder(connectionString).Database ?? "";
}
