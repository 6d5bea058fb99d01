using Aetherium.Hosting;
using Aetherium.Hosting.ApplicationModel;
using Aetherium.Hosting.Orchestration;

namespace Aetherium.AppHost;

/// <summary>
/// The app model, declared once in Aspire's style. The launcher runs it, the tests start it (all or a
/// subset) through the testing builder, and the Kubernetes publisher renders it.
/// Parameters (configuration <c>Parameters:{name}</c> / env <c>Parameters__{name}</c>): admin-username,
/// admin-password (generated and printed once when unset), gateway-port (8080), replicas (1), and for
/// HTTPS at the gateway gateway-tls-certificate + gateway-tls-key (PEM files) and gateway-https-port (8443),
/// fleet-size (3: simulated workers started for the admin, so a new user sees a working cloud; 0: none).
/// </summary>
public static class AetheriumModel
{
    public const string Identity = "identity", Inventory = "inventory", Scheduler = "scheduler", Lease = "lease", Gateway = "gateway";
    public static readonly string[] Services = [Identity, Inventory, Scheduler, Lease];
    /// <summary>Projects that call other services and so get client credentials from identity.</summary>
    public static readonly string[] ServiceClients = [Inventory, Scheduler, Lease, Gateway];

    public static void Define(DistributedApplicationBuilder builder)
    {
        var adminUsername = builder.AddParameter("admin-username", defaultValue: "admin");
        var adminPassword = builder.AddParameter("admin-password", secret: true, generate: true, announce: true);
        var replicas = int.TryParse(builder.Configuration["Parameters:replicas"], out var r) && r > 0 ? r : 1;
        var gatewayPort = int.TryParse(builder.Configuration["Parameters:gateway-port"], out var gp) ? gp : 8080;

        var postgres = builder.AddPostgres("postgres");
        var messaging = builder.AddRabbitMQ("messaging").WithManagementPlugin();

        IResourceBuilder<ProjectResource> Service(string name, string path)
        {
            var database = postgres.AddDatabase($"{name}db");
            return builder.AddProject(name, path)
                .WithHttpEndpoint()
                .WithReplicas(replicas)
                .WithReference(database).WaitFor(database)
                .WithReference(messaging).WaitFor(messaging);
        }

        var identity = Service(Identity, "services/Identity/Aetherium.Identity.csproj")
            .WithEnvironment("Admin__Username", adminUsername)
            .WithEnvironment("Admin__Password", adminPassword);
        // Services reach identity for JWKS and service tokens only when serving, so they start beside it.
        var inventory = Service(Inventory, "services/Inventory/Aetherium.Inventory.csproj").WithReference(identity);
        var scheduler = Service(Scheduler, "services/Scheduler/Aetherium.Scheduler.csproj").WithReference(identity);
        var lease = Service(Lease, "services/Lease/Aetherium.Lease.csproj").WithReference(identity);

        var gateway = builder.AddProject(Gateway, "gateway/Aetherium.Gateway.csproj")
            .WithHttpEndpoint(port: gatewayPort)
            .WithReplicas(1)
            .WithDeployment(d => d.External = true)
            // The live stream (gateway/Live) takes the services' events from the broker.
            .WithReference(messaging).WaitFor(messaging);
        foreach (var service in new[] { identity, inventory, scheduler, lease })
            gateway.WithReference(service).WaitFor(service);
        if (builder.Configuration["Parameters:gateway-tls-certificate"] is { Length: > 0 } certificate)
        {
            // Kestrel's own endpoint configuration; naming endpoints replaces ASPNETCORE_URLS, so HTTP is named too.
            var httpsPort = builder.Configuration["Parameters:gateway-https-port"] ?? "8443";
            gateway.WithEnvironment("Kestrel__Endpoints__Http__Url", () => gateway.Resource.Url())
                .WithEnvironment("Kestrel__Endpoints__Https__Url", $"https://localhost:{httpsPort}")
                .WithEnvironment("Kestrel__Endpoints__Https__Certificate__Path", Path.GetFullPath(certificate))
                .WithEnvironment("Kestrel__Endpoints__Https__Certificate__KeyPath",
                    Path.GetFullPath(builder.Configuration["Parameters:gateway-tls-key"] ?? throw new InvalidOperationException("Parameters:gateway-tls-key is required with gateway-tls-certificate.")));
        }

        inventory
            .WithEnvironment("Inventory__PublicUrl", gateway.PublicUrl())
            // In a cluster the inventory image carries the agent package (see its csproj).
            .WithEnvironment("Agent__PackageDirectory", a => a?.Target == DeploymentTarget.Kubernetes ? "/app/agent" : AgentOutputDirectory(builder));

        var fleetSize = int.TryParse(builder.Configuration["Parameters:fleet-size"], out var f) ? f : 3;
        if (fleetSize > 0)
        {
            builder.AddProject("fleet", "agent/Aetherium.Agent.csproj")
                .WithArgs(() => ["simulate", "--controller", gateway.Resource.Url(), "--username", adminUsername.Resource.Value,
                    "--workers", fleetSize.ToString(), "--zone", "local-1", "--fleet", "local"])
                .WithEnvironment("AETHERIUM_PASSWORD", adminPassword)
                .WaitFor(gateway)
                // The fleet stands for machines elsewhere: at shutdown the control plane stops under it, not the other way round.
                .WithStopLast()
                .WithDeployment(d => d.Publish = false);
        }

        foreach (var client in new[] { inventory, scheduler, lease, gateway })
        {
            var secret = builder.AddParameter($"{client.Resource.Name}-client-secret", secret: true, generate: true);
            identity.WithEnvironment($"ServiceClients__{client.Resource.Name}__Secret", secret);
            client.WithEnvironment("ServiceClient__ClientId", client.Resource.Name)
                  .WithEnvironment("ServiceClient__ClientSecret", secret);
        }
    }

    /// <summary>The agent's build output, which inventory serves as the package its install script fetches.</summary>
    public static string AgentOutputDirectory(DistributedApplicationBuilder builder) =>
        Path.GetDirectoryName(new ProjectResource("agent", "agent/Aetherium.Agent.csproj")
            .AssemblyPath(builder.RepositoryRoot, DistributedApplicationBuilder.BuildConfiguration))!;
}
