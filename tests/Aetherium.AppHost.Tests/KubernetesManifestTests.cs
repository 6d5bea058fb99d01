using System.Diagnostics;
using System.Text.RegularExpressions;
using Aetherium.Hosting;
using Aetherium.Hosting.ApplicationModel;
using Aetherium.Hosting.Orchestration;
using Aetherium.Hosting.Publishing;
using k8s;
using k8s.Models;
using Xunit;

namespace Aetherium.AppHost.Tests;

/// <summary>
/// `publish k8s` renders the app model as kustomize overlays that `kubectl kustomize` accepts; the
/// rendered objects are parsed with the Kubernetes client's typed models and checked.
/// </summary>
public sealed partial class KubernetesManifestTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"aetherium-k8s-{Guid.NewGuid():N}");
    private const string Otlp = "http://otel-collector.observability:4317";

    private (DistributedApplicationBuilder Builder, string Output) Publish(Dictionary<string, string?>? configuration = null)
    {
        configuration ??= [];
        // The test run's shared servers come as ConnectionStrings__postgres/messaging in the environment; the
        // manifests under test are those of the model with its own servers unless a test says otherwise.
        configuration.TryAdd("ConnectionStrings:postgres", null);
        configuration.TryAdd("ConnectionStrings:messaging", null);
        var builder = new DistributedApplicationBuilder(new DistributedApplicationOptions
        {
            DataDirectory = Path.Combine(_dir, "state"), Configuration = configuration, EchoLogs = false,
        });
        AetheriumModel.Define(builder);
        builder.Build();
        var output = Path.Combine(_dir, "out");
        KubernetesPublisher.Publish(builder, new KubernetesPublishOptions
        {
            OutputDirectory = output, Registry = "registry.example.com/aetherium", Tag = "1.2.3", OtlpEndpoint = Otlp,
        });
        return (builder, output);
    }

    private static List<object> Kustomize(string overlay)
    {
        var psi = new ProcessStartInfo("kubectl", ["kustomize", overlay]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"kubectl kustomize {overlay} failed: {stderr.Result}");
        return KubernetesYaml.LoadAllFromString(stdout.Result);
    }

    [Theory]
    [InlineData("dev", 1)]
    [InlineData("prod", 2)]
    public void Every_service_has_probes_limits_a_non_root_context_config_and_secrets(string overlay, int replicas)
    {
        var (_, output) = Publish();
        var objects = Kustomize(Path.Combine(output, "overlays", overlay));
        var deployments = objects.OfType<V1Deployment>().ToDictionary(d => d.Metadata.Name);
        var configMaps = objects.OfType<V1ConfigMap>().Select(c => c.Metadata.Name).ToHashSet();
        var secrets = objects.OfType<V1Secret>().Select(s => s.Metadata.Name).ToHashSet();

        Assert.Equal(AetheriumModel.Services.Append(AetheriumModel.Gateway).Order(), deployments.Keys.Order());
        foreach (var d in deployments.Values)
        {
            Assert.Equal("aetherium", d.Metadata.NamespaceProperty);
            Assert.Equal(replicas, d.Spec.Replicas);
            var c = Assert.Single(d.Spec.Template.Spec.Containers);
            Assert.Equal($"registry.example.com/aetherium/{d.Metadata.Name}:1.2.3", c.Image);
            Assert.Equal("/health", c.ReadinessProbe.HttpGet.Path);
            Assert.Equal("/alive", c.LivenessProbe.HttpGet.Path);
            Assert.NotNull(c.Resources.Requests["cpu"]);
            Assert.NotNull(c.Resources.Requests["memory"]);
            Assert.NotNull(c.Resources.Limits["cpu"]);
            Assert.NotNull(c.Resources.Limits["memory"]);
            Assert.True(d.Spec.Template.Spec.SecurityContext.RunAsNonRoot);
            Assert.NotEqual(0, d.Spec.Template.Spec.SecurityContext.RunAsUser);
            Assert.False(c.SecurityContext.AllowPrivilegeEscalation);
            Assert.Contains(c.EnvFrom, e => e.ConfigMapRef is { } r && configMaps.Contains(r.Name));
            Assert.Contains(c.EnvFrom, e => e.SecretRef is { } r && secrets.Contains(r.Name));
        }

        var pdbs = objects.OfType<V1PodDisruptionBudget>().Select(p => p.Metadata.Name).ToHashSet();
        if (overlay == "prod") Assert.Equal(deployments.Keys.ToHashSet(), pdbs);
        else Assert.Empty(pdbs);

        var ingress = Assert.Single(objects.OfType<V1Ingress>());
        Assert.Equal(AetheriumModel.Gateway, ingress.Spec.Rules.Single().Http.Paths.Single().Backend.Service.Name);
        var stateful = objects.OfType<V1StatefulSet>().ToDictionary(s => s.Metadata.Name);
        Assert.Equal(["messaging", "postgres"], stateful.Keys.Order().ToArray());
        Assert.All(stateful.Values, s => Assert.NotEmpty(s.Spec.VolumeClaimTemplates));
        Assert.All(stateful.Values, s => Assert.Contains(objects.OfType<V1Service>(), svc => svc.Metadata.Name == s.Spec.ServiceName));
    }

    [Fact]
    public void Each_service_gets_the_same_environment_names_as_the_AppHost_gives_it_locally()
    {
        var (builder, output) = Publish(new() { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = Otlp });
        var app = builder.Build();
        var objects = Kustomize(Path.Combine(output, "overlays", "dev"));

        foreach (var project in builder.Resources.OfType<ProjectResource>().Where(p => p.Deployment.Publish))
        {
            var local = app.EnvironmentOf(project.Name).Keys.ToHashSet();
            var rendered = RenderedEnvironment(objects, project.Name);
            Assert.True(local.SetEquals(rendered),
                $"{project.Name}: only local [{string.Join(", ", local.Except(rendered))}], only in the cluster [{string.Join(", ", rendered.Except(local))}]");
        }
    }

    [Fact]
    public void Every_setting_a_service_reads_from_its_wiring_is_rendered()
    {
        var (_, output) = Publish();
        var objects = Kustomize(Path.Combine(output, "overlays", "prod"));
        foreach (var (project, path) in new[] { ("identity", "services/Identity"), ("inventory", "services/Inventory"),
                     ("scheduler", "services/Scheduler"), ("lease", "services/Lease"), ("gateway", "gateway") })
        {
            var rendered = RenderedEnvironment(objects, project);
            var code = string.Join('\n', Directory.EnumerateFiles(Path.Combine(AppHostProcess.RepositoryRoot, path), "*.cs", SearchOption.AllDirectories)
                .Where(f => !f.Contains("/obj/") && !f.Contains("/bin/") && !f.Contains("/Migrations/"))
                .Select(File.ReadAllText));
            foreach (Match m in DatabaseName().Matches(code))
                Assert.Contains($"ConnectionStrings__{m.Groups[1].Value}", rendered);
            if (code.Contains("AddServiceBus(")) Assert.Contains("ConnectionStrings__messaging", rendered);
            foreach (Match m in ServiceAddress().Matches(code))
                Assert.Contains($"services__{m.Groups[1].Value}__http__0", rendered);
            if (code.Contains("AddServiceToken()"))
            {
                Assert.Contains("ServiceClient__ClientId", rendered);
                Assert.Contains("ServiceClient__ClientSecret", rendered);
            }
        }
    }

    [Fact]
    public void Passwords_go_to_secrets_never_to_config_maps_and_are_git_ignored()
    {
        var (builder, output) = Publish();
        var objects = Kustomize(Path.Combine(output, "overlays", "prod"));
        var passwords = builder.Resources.OfType<ParameterResource>().Where(p => p.IsSecret).Select(p => p.Value).ToList();
        var configValues = objects.OfType<V1ConfigMap>().SelectMany(c => c.Data.Values).ToList();

        Assert.NotEmpty(passwords);
        Assert.DoesNotContain(configValues, v => passwords.Any(v.Contains));
        var identitySecret = objects.OfType<V1Secret>().Single(s => s.Metadata.Name == "identity-secrets");
        Assert.Contains("Admin__Password", identitySecret.StringData.Keys);
        Assert.Contains($"*{KubernetesPublisher.SecretFileSuffix}", File.ReadAllText(Path.Combine(output, ".gitignore")));
        Assert.All(Directory.GetFiles(Path.Combine(output, "base"), $"*{KubernetesPublisher.SecretFileSuffix}"),
            f => Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(f)));
        // Fresh secrets for the cluster: not the ones the local AppHost keeps.
        Assert.DoesNotContain(builder.Resources.OfType<ParameterResource>(), p => p.Name == "admin-password" && p.Value == "test-admin-password");
    }

    [Fact]
    public void Existing_servers_replace_the_stateful_sets()
    {
        var (_, output) = Publish(new()
        {
            ["ConnectionStrings:postgres"] = "Host=pg.prod.internal;Port=5432;Username=aetherium;Password=p",
            ["ConnectionStrings:messaging"] = "amqps://aetherium:q@mq.prod.internal:5671/aetherium",
        });
        var objects = Kustomize(Path.Combine(output, "overlays", "prod"));

        Assert.Empty(objects.OfType<V1StatefulSet>());
        var inventory = objects.OfType<V1Secret>().Single(s => s.Metadata.Name == "inventory-secrets").StringData;
        Assert.Equal("Host=pg.prod.internal;Port=5432;Username=aetherium;Password=p;Database=inventorydb", inventory["ConnectionStrings__inventorydb"]);
        Assert.Equal("amqps://aetherium:q@mq.prod.internal:5671/aetherium", inventory["ConnectionStrings__messaging"]);
    }

    private static HashSet<string> RenderedEnvironment(List<object> objects, string project)
    {
        var container = objects.OfType<V1Deployment>().Single(d => d.Metadata.Name == project).Spec.Template.Spec.Containers.Single();
        var names = container.Env.Select(e => e.Name).Where(n => n != "POD_NAME").ToHashSet();
        foreach (var from in container.EnvFrom)
        {
            if (from.ConfigMapRef is { } cm) names.UnionWith(objects.OfType<V1ConfigMap>().Single(c => c.Metadata.Name == cm.Name).Data.Keys);
            if (from.SecretRef is { } sr) names.UnionWith(objects.OfType<V1Secret>().Single(s => s.Metadata.Name == sr.Name).StringData?.Keys ?? []);
        }
        return names;
    }

    [GeneratedRegex("""AddServiceDatabase<\w+>\("(\w+)"\)""")]
    private static partial Regex DatabaseName();

    [GeneratedRegex("""new\s*(?:Uri)?\(?\s*"http://(identity|inventory|scheduler|lease)[/"]""")]
    private static partial Regex ServiceAddress();

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (DirectoryNotFoundException) { }
    }
}
