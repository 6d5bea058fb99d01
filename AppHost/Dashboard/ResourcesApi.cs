using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Aetherium.Hosting;
using Aetherium.Hosting.ApplicationModel;
using Aetherium.Hosting.Orchestration;

namespace Aetherium.AppHost.Dashboard;

public sealed record EndpointView(string Name, string Url, bool IsLink);
public sealed record EnvironmentVariableView(string Name, string Value, bool Secret);

public sealed record ResourceView(
    string Name,
    string Resource,
    int Replica,
    string Type,
    string State,
    string? StateReason,
    string? Health,
    DateTimeOffset? StartedAt,
    DateTimeOffset StateChangedAt,
    int Restarts,
    int? Pid,
    int? ExitCode,
    IReadOnlyList<EndpointView> Endpoints,
    IReadOnlyList<EnvironmentVariableView> Environment);

public sealed record ResourceList(IReadOnlyList<ResourceView> Resources, int Total);
public sealed record ResourceActionAccepted(string Resource, string Action);

/// <summary>The resources page's API: every instance with its state, health, endpoints and masked environment; start/stop/restart.</summary>
internal static class ResourcesApi
{
    public static void Map(WebApplication web, DistributedApplication app)
    {
        web.MapGet("/api/resources", () => TypedResults.Ok(new ResourceList(app.Instances.Select(i => View(app, i)).ToList(), app.Instances.Count)));

        web.MapPost("/api/resources/{resource}/{action}", IResult (string resource, string action) =>
        {
            if (action is not ("start" or "stop" or "restart"))
                return TypedResults.Problem($"No action '{action}': start, stop or restart.", statusCode: StatusCodes.Status404NotFound);
            if (!app.Instances.Any(i => i.Resource.Name == resource))
                return TypedResults.Problem($"No resource named '{resource}'.", statusCode: StatusCodes.Status404NotFound);
            // Starting waits for health and stopping for a graceful exit: the page follows the states instead of waiting here.
            var work = action switch
            {
                "start" => app.StartResourceAsync(resource),
                "stop" => app.StopResourceAsync(resource),
                _ => app.RestartResourceAsync(resource),
            };
            work.ContinueWith(t => _ = t.Exception, TaskContinuationOptions.OnlyOnFaulted);
            return TypedResults.Accepted($"/api/resources", new ResourceActionAccepted(resource, action));
        });
    }

    public static ResourceView View(DistributedApplication app, ResourceInstance i) => new(
        i.Name,
        i.Resource.Name,
        i.Replica,
        TypeOf(i.Resource),
        i.State,
        i.StateReason,
        i.State switch { ResourceStates.Running => "Healthy", ResourceStates.Unhealthy => "Unhealthy", _ => null },
        i.State is ResourceStates.Running or ResourceStates.Unhealthy ? i.StartedAt : null,
        i.StateChangedAt,
        i.Restarts,
        i.ProcessId,
        i.ExitCode,
        Endpoints(i),
        Environment(app, i));

    private static string TypeOf(Resource r) => r switch
    {
        ProjectResource => "Project",
        PostgresServerResource => "PostgreSQL",
        PostgresDatabaseResource => "Database",
        RabbitMQServerResource => "RabbitMQ",
        _ => r.GetType().Name,
    };

    private static List<EndpointView> Endpoints(ResourceInstance i) => i.Resource switch
    {
        ProjectResource { HasHttpEndpoint: true } p => [new("http", p.Url(i.Replica), true)],
        PostgresServerResource { IsExternal: false } pg => [new("tcp", $"tcp://localhost:{pg.Port}", false)],
        PostgresDatabaseResource db => [new("database", db.DatabaseName, false)],
        RabbitMQServerResource { IsExternal: false } mq => mq.Management
            ? [new("amqp", $"amqp://localhost:{mq.Port}", false), new("management", $"http://localhost:{mq.ManagementPort}", true)]
            : [new("amqp", $"amqp://localhost:{mq.Port}", false)],
        PostgresServerResource or RabbitMQServerResource => [new("external", "an existing server (connection string)", false)],
        _ => [],
    };

    /// <summary>What a project receives, secrets masked (connection strings, passwords, the OTLP key); what others point at.</summary>
    private static List<EnvironmentVariableView> Environment(DistributedApplication app, ResourceInstance i)
    {
        if (i.Resource is ProjectResource)
        {
            var env = app.EnvironmentOf(i.Resource.Name, i.Replica);
            var masked = EnvironmentResolver.Masked(env);
            return env.Select(e => new EnvironmentVariableView(e.Key, masked[e.Key], e.Value.IsSecret)).ToList();
        }
        return [];
    }
}
