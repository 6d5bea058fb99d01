namespace Aetherium.Hosting.ApplicationModel;

/// <summary>Aspire's IResourceBuilder: the fluent handle on a resource being declared.</summary>
public interface IResourceBuilder<out T> where T : Resource
{
    T Resource { get; }
    DistributedApplicationBuilder ApplicationBuilder { get; }
}

internal sealed class ResourceBuilder<T>(DistributedApplicationBuilder app, T resource) : IResourceBuilder<T> where T : Resource
{
    public T Resource { get; } = resource;
    public DistributedApplicationBuilder ApplicationBuilder { get; } = app;
}

public static class ResourceBuilderExtensions
{
    public static IResourceBuilder<PostgresDatabaseResource> AddDatabase(this IResourceBuilder<PostgresServerResource> server, string name, string? databaseName = null)
    {
        var db = new PostgresDatabaseResource(name, databaseName ?? name, server.Resource);
        server.Resource.Databases.Add(server.ApplicationBuilder.Add(db));
        return new ResourceBuilder<PostgresDatabaseResource>(server.ApplicationBuilder, db);
    }

    /// <summary>Keeps the server's data in a directory of its own (default: the AppHost's state directory).</summary>
    public static IResourceBuilder<PostgresServerResource> WithDataDirectory(this IResourceBuilder<PostgresServerResource> server, string? path)
    {
        server.Resource.DataDirectory = path;
        return server;
    }

    public static IResourceBuilder<RabbitMQServerResource> WithManagementPlugin(this IResourceBuilder<RabbitMQServerResource> broker)
    {
        broker.Resource.Management = true;
        return broker;
    }

    /// <summary>
    /// Wires <paramref name="other"/> in: <c>ConnectionStrings__{name}</c> for a database or broker,
    /// <c>services__{name}__http__{i}</c> for a project (resolved at start, one entry per replica).
    /// </summary>
    public static IResourceBuilder<T> WithReference<T>(this IResourceBuilder<T> builder, IResourceBuilder<Resource> other) where T : Resource
    {
        if (other.Resource is not (IResourceWithConnectionString or ProjectResource))
            throw new ArgumentException($"Cannot reference {other.Resource.GetType().Name} '{other.Resource.Name}'.");
        if (!builder.Resource.References.Contains(other.Resource)) builder.Resource.References.Add(other.Resource);
        return builder;
    }

    /// <summary>Starts this resource only once <paramref name="other"/> is healthy.</summary>
    public static IResourceBuilder<T> WaitFor<T>(this IResourceBuilder<T> builder, IResourceBuilder<Resource> other) where T : Resource
    {
        if (!builder.Resource.WaitsFor.Contains(other.Resource)) builder.Resource.WaitsFor.Add(other.Resource);
        return builder;
    }

    public static IResourceBuilder<T> WithEnvironment<T>(this IResourceBuilder<T> builder, string name, string value) where T : Resource
    {
        builder.Resource.Environment[name] = value;
        return builder;
    }

    public static IResourceBuilder<T> WithEnvironment<T>(this IResourceBuilder<T> builder, string name, IResourceBuilder<ParameterResource> parameter) where T : Resource
    {
        builder.Resource.Environment[name] = parameter.Resource.AsValue();
        return builder;
    }

    public static IResourceBuilder<T> WithEnvironment<T>(this IResourceBuilder<T> builder, string name, Func<string> value, bool secret = false) where T : Resource
    {
        builder.Resource.Environment[name] = new ValueSource(value, secret);
        return builder;
    }

    /// <summary>A value that depends on where the model runs (this machine or a cluster).</summary>
    public static IResourceBuilder<T> WithEnvironment<T>(this IResourceBuilder<T> builder, string name, Func<Orchestration.IAddressing?, string> value, bool secret = false) where T : Resource
    {
        builder.Resource.Environment[name] = new ValueSource(value, secret);
        return builder;
    }

    public static IResourceBuilder<ProjectResource> WithHttpEndpoint(this IResourceBuilder<ProjectResource> project, int? port = null)
    {
        project.Resource.HasHttpEndpoint = true;
        project.Resource.FixedPort = port;
        return project;
    }

    public static IResourceBuilder<ProjectResource> WithReplicas(this IResourceBuilder<ProjectResource> project, int replicas)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(replicas, 1);
        project.Resource.Replicas = replicas;
        return project;
    }

    public static IResourceBuilder<ProjectResource> WithArgs(this IResourceBuilder<ProjectResource> project, Func<IEnumerable<string>> args)
    {
        project.Resource.Args.Add(args);
        return project;
    }

    public static IResourceBuilder<ProjectResource> WithArgs(this IResourceBuilder<ProjectResource> project, params string[] args) =>
        project.WithArgs(() => args);

    public static IResourceBuilder<ProjectResource> WithExplicitStart(this IResourceBuilder<ProjectResource> project)
    {
        project.Resource.ExplicitStart = true;
        return project;
    }

    /// <summary>Stop this project after every other one (see <see cref="ProjectResource.StopsLast"/>).</summary>
    public static IResourceBuilder<ProjectResource> WithStopLast(this IResourceBuilder<ProjectResource> project)
    {
        project.Resource.StopsLast = true;
        return project;
    }

    public static IResourceBuilder<ProjectResource> WithDeployment(this IResourceBuilder<ProjectResource> project, Action<DeploymentHints> configure)
    {
        configure(project.Resource.Deployment);
        return project;
    }

    /// <summary>Where users and agents reach a project from outside, on whichever target the model runs.</summary>
    public static Func<Orchestration.IAddressing?, string> PublicUrl(this IResourceBuilder<ProjectResource> project) =>
        a => a?.PublicUrl(project.Resource) ?? project.Resource.Url();
}
