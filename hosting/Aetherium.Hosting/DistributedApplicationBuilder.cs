using System.Text.Json;
using Aetherium.Hosting.ApplicationModel;
using Aetherium.Hosting.Infrastructure;
using Microsoft.Extensions.Configuration;

namespace Aetherium.Hosting;

public sealed class DistributedApplicationOptions
{
    public string[] Args { get; init; } = [];
    /// <summary>Every endpoint on a free port, fixed ones too (Aspire.Hosting.Testing does the same).</summary>
    public bool RandomizePorts { get; init; }
    /// <summary>Where parameters and private servers keep their state. Default: .aetherium/ in the repository.</summary>
    public string? DataDirectory { get; init; }
    /// <summary>Extra configuration, applied over environment and command line.</summary>
    public IDictionary<string, string?> Configuration { get; init; } = new Dictionary<string, string?>();
    /// <summary>Echo every resource's output to the console with its prefix.</summary>
    public bool EchoLogs { get; init; } = true;
    /// <summary>Appended to every database name, so runs can share one PostgreSQL server.</summary>
    public string? DatabaseSuffix { get; init; }
    /// <summary>fsync and friends on for private PostgreSQL (off for throwaway test clusters).</summary>
    public bool DurableInfrastructure { get; init; } = true;
    /// <summary>Remove the data directory when the application is disposed (tests' temporary state).</summary>
    public bool DeleteDataDirectoryOnDispose { get; init; }
    /// <summary>How long StartAsync waits for every resource to be healthy.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromMinutes(3);
    /// <summary>
    /// No dashboard and no OTLP receiver: projects get no OTLP endpoint unless an external collector is configured
    /// (Aspire.Hosting.Testing's DisableDashboard; the testing builder sets it unless asked not to).
    /// </summary>
    public bool DisableDashboard { get; init; }
}

/// <summary>
/// Declares the app model in Aspire's style (<c>AddPostgres(..).AddDatabase(..)</c>, <c>AddRabbitMQ(..)</c>,
/// <c>AddProject(..).WithReference(..).WaitFor(..)</c>) and builds the <see cref="DistributedApplication"/> that runs it.
/// </summary>
public sealed class DistributedApplicationBuilder
{
    private readonly Dictionary<string, string> _storedParameters;
    private readonly List<Resource> _resources = [];

    public DistributedApplicationBuilder(DistributedApplicationOptions options)
    {
        Options = options;
        RepositoryRoot = FindRepositoryRoot();
        Configuration = new ConfigurationBuilder()
            .AddEnvironmentVariables()
            .AddCommandLine(options.Args)
            .AddInMemoryCollection(options.Configuration)
            .Build();
        DataDirectory = Path.GetFullPath(options.DataDirectory ?? Configuration["AppHost:DataDirectory"] ?? Path.Combine(RepositoryRoot, ".aetherium"));
        // The state directory holds no secret itself; each secret is 0600 in a 0700 folder of its own below it.
        // Others may pass through it (as root, PostgreSQL's server user must reach its data) but not list it.
        PrivateFiles.CreateDirectory(DataDirectory, PrivateFiles.PassThroughDirectory);
        ParametersFile = Path.Combine(PrivateFiles.CreateDirectory(Path.Combine(DataDirectory, "apphost")), "parameters.json");
        MoveOldParametersFile();
        _storedParameters = File.Exists(ParametersFile)
            ? JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(ParametersFile)) ?? []
            : [];
    }

    public DistributedApplicationOptions Options { get; }
    public IConfiguration Configuration { get; }
    public string RepositoryRoot { get; }
    public string DataDirectory { get; }
    /// <summary>Generated parameters (passwords, client secrets): <c>{DataDirectory}/apphost/parameters.json</c>, 0600 in 0700.</summary>
    public string ParametersFile { get; }
    public IReadOnlyList<Resource> Resources => _resources;
    /// <summary>Run beside the model: started before its resources, stopped after them.</summary>
    public List<IDistributedApplicationLifecycleHook> LifecycleHooks { get; } = [];

    /// <summary>Earlier versions kept parameters.json in the state directory itself: it moves into apphost/.</summary>
    private void MoveOldParametersFile()
    {
        var old = Path.Combine(DataDirectory, "parameters.json");
        if (!File.Exists(old) || File.Exists(ParametersFile)) return;
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(old, PrivateFiles.File);
        File.Move(old, ParametersFile);
    }

    /// <summary>The build configuration the projects were built in: the same as this assembly's.</summary>
    public static string BuildConfiguration =>
#if DEBUG
        "Debug";
#else
        "Release";
#endif

    public T Add<T>(T resource) where T : Resource
    {
        if (_resources.Any(r => r.Name == resource.Name))
            throw new InvalidOperationException($"A resource named '{resource.Name}' already exists.");
        _resources.Add(resource);
        return resource;
    }

    public Resource? Find(string name) => _resources.FirstOrDefault(r => r.Name == name);

    /// <summary>
    /// A parameter from configuration <c>Parameters:{name}</c>; else <paramref name="defaultValue"/>; else, when
    /// <paramref name="generate"/>, a password generated once and kept in the state directory.
    /// </summary>
    public IResourceBuilder<ParameterResource> AddParameter(string name, bool secret = false, string? defaultValue = null, bool generate = false, bool announce = false)
    {
        ParameterResource? parameter = null;
        parameter = new ParameterResource(name, secret, () =>
        {
            if (Configuration[$"Parameters:{name}"] is { Length: > 0 } configured) return configured;
            if (defaultValue is not null) return defaultValue;
            if (!generate) throw new InvalidOperationException($"Parameter '{name}' has no value: set Parameters__{name}.");
            lock (_storedParameters)
            {
                if (_storedParameters.TryGetValue(name, out var stored)) return stored;
                var value = ParameterResource.GeneratePassword();
                _storedParameters[name] = value;
                PrivateFiles.WriteAllText(ParametersFile, JsonSerializer.Serialize(_storedParameters));
                parameter!.WasGenerated = true;
                return value;
            }
        }, announce);
        return new ResourceBuilder<ParameterResource>(this, Add(parameter));
    }

    /// <summary>A PostgreSQL server, private unless <c>ConnectionStrings:{name}</c> names an existing one.</summary>
    public IResourceBuilder<PostgresServerResource> AddPostgres(string name)
    {
        var password = AddParameter($"{name}-password", secret: true, generate: true).Resource;
        var server = new PostgresServerResource(name, password)
        {
            ExternalConnectionString = Configuration.GetConnectionString(name) is { Length: > 0 } cs ? cs : null,
            DataDirectory = Path.Combine(DataDirectory, name),
        };
        return new ResourceBuilder<PostgresServerResource>(this, Add(server));
    }

    /// <summary>A RabbitMQ broker, private unless <c>ConnectionStrings:{name}</c> names an existing one.</summary>
    public IResourceBuilder<RabbitMQServerResource> AddRabbitMQ(string name)
    {
        var user = AddParameter($"{name}-username", defaultValue: "guest").Resource;
        var password = AddParameter($"{name}-password", secret: true, generate: true).Resource;
        var broker = new RabbitMQServerResource(name, user, password)
        {
            ExternalConnectionString = Configuration.GetConnectionString(name) is { Length: > 0 } cs ? cs : null,
            DataDirectory = Path.Combine(DataDirectory, name),
        };
        return new ResourceBuilder<RabbitMQServerResource>(this, Add(broker));
    }

    /// <summary>A project by its path relative to the repository root.</summary>
    public IResourceBuilder<ProjectResource> AddProject(string name, string projectPath) =>
        new ResourceBuilder<ProjectResource>(this, Add(new ProjectResource(name, projectPath)));

    /// <summary>Keeps only the named resources and everything they depend on (for tests of a subset).</summary>
    public void KeepOnly(IEnumerable<string> names)
    {
        var keep = new HashSet<Resource>();
        void Visit(Resource r)
        {
            if (!keep.Add(r)) return;
            foreach (var d in r.WaitsFor.Concat(r.References)) Visit(d);
            if (r.Parent is { } p) Visit(p);
            if (r is PostgresServerResource s) foreach (var db in s.Databases.Where(d => keep.Contains(d))) Visit(db);
        }
        foreach (var n in names) Visit(Find(n) ?? throw new ArgumentException($"No resource named '{n}'."));
        foreach (var p in _resources.OfType<ParameterResource>()) keep.Add(p);
        _resources.RemoveAll(r => !keep.Contains(r));
        foreach (var s in _resources.OfType<PostgresServerResource>()) s.Databases.RemoveAll(d => !keep.Contains(d));
    }

    /// <summary>Allocates every port and fixes the model; nothing starts until <see cref="DistributedApplication.StartAsync"/>.</summary>
    public DistributedApplication Build()
    {
        foreach (var r in _resources)
        {
            switch (r)
            {
                case PostgresServerResource pg when !pg.IsExternal:
                    pg.Port = Ports.Free();
                    break;
                case PostgresDatabaseResource db when Options.DatabaseSuffix is { Length: > 0 } suffix:
                    db.DatabaseName += suffix;
                    break;
                case RabbitMQServerResource mq when !mq.IsExternal:
                    mq.Port = Ports.Free();
                    mq.ManagementPort = mq.Management ? Ports.Free() : 0;
                    break;
                case ProjectResource p when p.HasHttpEndpoint:
                    p.Ports.Clear();
                    for (var i = 0; i < p.Replicas; i++)
                        p.Ports.Add(i == 0 && p.FixedPort is int fixedPort && !Options.RandomizePorts ? fixedPort : Ports.Free());
                    break;
            }
        }
        return new DistributedApplication(this);
    }

    private static string FindRepositoryRoot()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Aetherium.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("Aetherium.sln not found above the current or the application directory: run the AppHost from the repository.");
    }
}
