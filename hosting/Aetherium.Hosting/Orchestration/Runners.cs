using System.Diagnostics;
using Aetherium.Hosting.ApplicationModel;
using Aetherium.Hosting.Infrastructure;
using Npgsql;

namespace Aetherium.Hosting.Orchestration;

/// <summary>What the orchestrator needs of each kind of resource: start it, probe it, stop it.</summary>
internal abstract class Runner(ResourceInstance instance)
{
    protected ResourceInstance Instance { get; } = instance;

    public abstract Task StartAsync(CancellationToken ct);
    public abstract Task<bool> IsHealthyAsync(CancellationToken ct);
    public abstract Task StopAsync();
    /// <summary>Completes when the process exits; never, for resources that are not a process of ours.</summary>
    public virtual Task Exited => Task.Delay(Timeout.Infinite);
    public virtual int? ExitCode => null;
    /// <summary>Restarted with backoff when it exits unexpectedly (DESIGN §3 point 6: projects).</summary>
    public virtual bool Restartable => false;
}

internal sealed class RunContext
{
    public required DistributedApplicationBuilder Builder { get; init; }
    public required IAddressing Addressing { get; init; }
    public required string RunId { get; init; }
    public required Action<ResourceInstance, string, bool> OnOutput { get; init; }
    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(3) };
}

internal sealed class PostgresRunner(ResourceInstance instance, PostgresServerResource resource, RunContext context) : Runner(instance)
{
    private PostgresServer? _server;

    public override async Task StartAsync(CancellationToken ct)
    {
        if (resource.IsExternal) return;
        var dir = resource.DataDirectory;
        if (dir is not null && !PostgresServer.IsReachableByServerUser(dir))
        {
            // PostgreSQL refuses root and runs as postgres, which cannot enter e.g. /root/...: keep the data where it can.
            var fallback = Path.Combine("/var/tmp", $"aetherium-{Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(dir)))[..12].ToLowerInvariant()}", resource.Name);
            context.OnOutput(Instance, $"user postgres cannot reach {dir}; keeping PostgreSQL's data in {fallback}", false);
            dir = fallback;
        }
        _server = await PostgresServer.StartAsync(new PostgresOptions
        {
            DataDirectory = dir,
            Port = resource.Port,
            Password = resource.Password.Value,
            // Throwaway clusters (tests) trade durability for speed; the AppHost's own stays durable.
            Durable = context.Builder.Options.DurableInfrastructure,
        }, line => context.OnOutput(Instance, line, false), ct);
        Instance.ProcessId = _server.ProcessId;
    }

    public override async Task<bool> IsHealthyAsync(CancellationToken ct)
    {
        try
        {
            await using var c = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(resource.GetConnectionString())
            { Database = "postgres", Pooling = false, Timeout = 3 }.ConnectionString);
            await c.OpenAsync(ct);
            return true;
        }
        catch (Exception ex) when (ex is NpgsqlException or System.Net.Sockets.SocketException or TimeoutException or InvalidOperationException) { return false; }
    }

    public override Task Exited => _server?.Exited ?? Task.Delay(Timeout.Infinite);

    public override async Task StopAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
        _server = null;
    }
}

/// <summary>A database: created on its server when missing (as Aspire's AddDatabase does), healthy when it accepts connections.</summary>
internal sealed class DatabaseRunner(ResourceInstance instance, PostgresDatabaseResource resource) : Runner(instance)
{
    public override Task StartAsync(CancellationToken ct) =>
        PostgresServer.CreateDatabaseAsync(resource.Server.GetConnectionString(), resource.DatabaseName, ct);

    public override async Task<bool> IsHealthyAsync(CancellationToken ct)
    {
        try
        {
            await using var c = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(resource.GetConnectionString()) { Pooling = false, Timeout = 3 }.ConnectionString);
            await c.OpenAsync(ct);
            return true;
        }
        catch (Exception ex) when (ex is NpgsqlException or System.Net.Sockets.SocketException or TimeoutException or InvalidOperationException) { return false; }
    }

    public override Task StopAsync() => Task.CompletedTask;
}

internal sealed class RabbitMqRunner(ResourceInstance instance, RabbitMQServerResource resource, RunContext context) : Runner(instance)
{
    private RabbitMqServer? _server;

    public override async Task StartAsync(CancellationToken ct)
    {
        if (resource.IsExternal) return;
        _server = await RabbitMqServer.StartAsync(new RabbitMqOptions
        {
            Directory = resource.DataDirectory,
            Port = resource.Port,
            Management = resource.Management,
            ManagementPort = resource.Management ? resource.ManagementPort : null,
            Username = resource.Username.Value,
            Password = resource.Password.Value,
        }, line => context.OnOutput(Instance, line, false), ct);
        Instance.ProcessId = _server.ProcessId;
    }

    public override Task<bool> IsHealthyAsync(CancellationToken ct)
    {
        var uri = new Uri(resource.GetConnectionString());
        return RabbitMqServer.IsAmqpReadyAsync(uri.Host == "localhost" ? "127.0.0.1" : uri.Host, uri.Port > 0 ? uri.Port : 5672, ct);
    }

    public override Task Exited => _server?.Exited ?? Task.Delay(Timeout.Infinite);

    public override async Task StopAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
        _server = null;
    }
}

/// <summary>One replica of a project: <c>dotnet {assembly}.dll</c> in the project directory, probed on /health.</summary>
internal sealed class ProjectRunner(ResourceInstance instance, ProjectResource project, RunContext context) : Runner(instance)
{
    private Process? _process;

    public override bool Restartable => true;

    public override async Task StartAsync(CancellationToken ct)
    {
        var root = context.Builder.RepositoryRoot;
        var dll = project.AssemblyPath(root, DistributedApplicationBuilder.BuildConfiguration);
        if (!File.Exists(dll))
            throw new FileNotFoundException($"{dll} is missing: build the solution first (dotnet build Aetherium.sln).");
        var env = EnvironmentResolver.Resolve(EnvironmentResolver.For(project, Instance.Replica, context.Addressing));
        // Lets tests and the dashboard find every process this AppHost started, and lets nothing escape.
        env[DistributedApplication.RunIdVariable] = context.RunId;
        _process = await ChildProcess.StartAsync("dotnet", [dll, .. project.ResolveArgs()],
            workingDirectory: Path.GetDirectoryName(Path.Combine(root, project.ProjectPath)),
            environment: env, deathSignal: "TERM",
            onOutput: l => context.OnOutput(Instance, l, false), onError: l => context.OnOutput(Instance, l, true));
        Instance.ProcessId = _process.Id;
        Instance.StartedAt = DateTimeOffset.UtcNow;
    }

    public override async Task<bool> IsHealthyAsync(CancellationToken ct)
    {
        if (_process is null || _process.HasExited) return false;
        if (!project.HasHttpEndpoint) return true; // nothing to probe: running is healthy
        try
        {
            using var response = await context.Http.GetAsync(project.Url(Instance.Replica) + project.HealthPath, ct);
            return response.IsSuccessStatusCode;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException) { return false; }
    }

    public override Task Exited => _process?.WaitForExitAsync() ?? Task.CompletedTask;
    public override int? ExitCode => _process is { HasExited: true } p ? p.ExitCode : null;

    public override async Task StopAsync()
    {
        if (_process is null) return;
        // SIGTERM lets the host drain (outbox flush, sessions closed); SIGKILL after the grace period.
        await ChildProcess.StopAsync(_process, ChildProcess.SIGTERM, TimeSpan.FromSeconds(10));
    }
}
