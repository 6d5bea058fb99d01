using Aetherium.Hosting.ApplicationModel;
using Aetherium.Hosting.Orchestration;
using YamlDotNet.Serialization;

namespace Aetherium.Hosting.Publishing;

public sealed class KubernetesPublishOptions
{
    public required string OutputDirectory { get; init; }
    public string Namespace { get; init; } = "aetherium";
    /// <summary>Images are {Registry}/{project}:{Tag}, set through kustomize's images transformer.</summary>
    public string Registry { get; init; } = "aetherium";
    public string Tag { get; init; } = "latest";
    public string IngressHost { get; init; } = "aetherium.local";
    public string? IngressClass { get; init; }
    /// <summary>The collector every service exports to; none when null.</summary>
    public string? OtlpEndpoint { get; init; }
    public string? OtlpHeaders { get; init; }
    public string PostgresImage { get; init; } = "postgres:15";
    public string RabbitMqImage { get; init; } = "rabbitmq:3.13-management";
}

/// <summary>
/// Renders the app model as a kustomize tree (DESIGN §10), as aspirate would from an Aspire AppHost:
/// <c>base/</c> (namespace; per project a Deployment, Service, ConfigMap and Secret; PostgreSQL and RabbitMQ
/// as StatefulSets unless the model points at existing servers; an Ingress for external projects) and
/// <c>overlays/dev</c> (1 replica) / <c>overlays/prod</c> (2+ replicas, PodDisruptionBudgets). Each project's
/// environment is the one the AppHost gives it locally (same resolver), addressed by Service DNS names.
/// Kept to fields that kustomize v2 (Debian's kubectl 1.20) and v5 both read.
/// </summary>
public static class KubernetesPublisher
{
    public const string SecretFileSuffix = "-secret.yaml";
    private const int AppUser = 1654; // the "app" user of the .NET container images

    private static readonly ISerializer Yaml = new SerializerBuilder()
        .WithQuotingNecessaryStrings()
        .ConfigureDefaultValuesHandling(DefaultValuesHandling.OmitNull)
        .Build();

    public static IReadOnlyList<string> Publish(DistributedApplicationBuilder builder, KubernetesPublishOptions options)
    {
        var otlp = options.OtlpEndpoint is { Length: > 0 } e ? (e, options.OtlpHeaders) : ((string, string?)?)null;
        var addressing = new KubernetesAddressing(otlp, $"http://{options.IngressHost}");
        var baseDir = Path.Combine(options.OutputDirectory, "base");
        Directory.CreateDirectory(baseDir);
        var written = new List<string>();
        var resources = new List<string>();

        void Write(string dir, string file, params object[] documents)
        {
            var path = Path.Combine(dir, file);
            File.WriteAllText(path, string.Join("---\n", documents.Select(Yaml.Serialize)));
            if (file.EndsWith(SecretFileSuffix, StringComparison.Ordinal) && !OperatingSystem.IsWindows())
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            written.Add(path);
            if (dir == baseDir) resources.Add(file);
        }

        Write(baseDir, "namespace.yaml", Map(("apiVersion", "v1"), ("kind", "Namespace"), ("metadata", Map(("name", options.Namespace)))));

        foreach (var pg in builder.Resources.OfType<PostgresServerResource>().Where(p => !p.IsExternal))
        {
            Write(baseDir, $"{pg.Name}{SecretFileSuffix}", Secret(pg.Name, new Dictionary<string, string> { ["password"] = pg.Password.Value }));
            Write(baseDir, $"{pg.Name}.yaml", HeadlessService(pg.Name, 5432), StatefulSet(pg.Name, options.PostgresImage, 5432, "/var/lib/postgresql/data", 999,
                env: [SecretEnv("POSTGRES_PASSWORD", pg.Name, "password"), Env("PGDATA", "/var/lib/postgresql/data/pgdata")],
                readiness: ["pg_isready", "-U", "postgres"]));
        }
        foreach (var mq in builder.Resources.OfType<RabbitMQServerResource>().Where(m => !m.IsExternal))
        {
            Write(baseDir, $"{mq.Name}{SecretFileSuffix}", Secret(mq.Name, new Dictionary<string, string> { ["username"] = mq.Username.Value, ["password"] = mq.Password.Value }));
            Write(baseDir, $"{mq.Name}.yaml", HeadlessService(mq.Name, 5672), StatefulSet(mq.Name, options.RabbitMqImage, 5672, "/var/lib/rabbitmq", 999,
                env: [SecretEnv("RABBITMQ_DEFAULT_USER", mq.Name, "username"), SecretEnv("RABBITMQ_DEFAULT_PASS", mq.Name, "password")],
                readiness: ["rabbitmq-diagnostics", "-q", "ping"]));
        }

        var projects = builder.Resources.OfType<ProjectResource>().Where(p => p.Deployment.Publish).ToList();
        foreach (var project in projects)
        {
            var env = EnvironmentResolver.For(project, 0, addressing, development: false);
            var config = new SortedDictionary<string, string>(StringComparer.Ordinal);
            var secrets = new SortedDictionary<string, string>(StringComparer.Ordinal);
            foreach (var (name, value) in env)
            {
                if (name == "OTEL_RESOURCE_ATTRIBUTES") continue; // per pod, from the downward API (in the Deployment)
                (value.IsSecret ? secrets : config)[name] = value.Resolve();
            }
            Write(baseDir, $"{project.Name}{SecretFileSuffix}", Secret($"{project.Name}-secrets", secrets));
            Write(baseDir, $"{project.Name}.yaml",
                ConfigMap($"{project.Name}-config", config),
                Deployment(project, env["OTEL_RESOURCE_ATTRIBUTES"].Resolve()),
                Service(project.Name));
        }

        var external = projects.Where(p => p.Deployment.External).ToList();
        if (external.Count > 0)
            Write(baseDir, "ingress.yaml", Ingress(external, options));

        File.WriteAllText(Path.Combine(baseDir, "kustomization.yaml"), Yaml.Serialize(Map(
            ("apiVersion", "kustomize.config.k8s.io/v1beta1"),
            ("kind", "Kustomization"),
            ("namespace", options.Namespace),
            ("resources", resources),
            ("images", projects.Select(p => Map(("name", ImageName(p)), ("newName", $"{options.Registry}/{p.Name}"), ("newTag", options.Tag))).ToList()))));
        written.Add(Path.Combine(baseDir, "kustomization.yaml"));

        written.AddRange(Overlay(options.OutputDirectory, "dev", projects, p => 1, pdb: false));
        written.AddRange(Overlay(options.OutputDirectory, "prod", projects, p => Math.Max(2, p.Deployment.ProductionReplicas), pdb: true));

        // Generated passwords and keys live in the *-secret.yaml files: keep them out of version control.
        File.WriteAllText(Path.Combine(options.OutputDirectory, ".gitignore"), $"# generated secrets: never commit them\n*{SecretFileSuffix}\n");
        written.Add(Path.Combine(options.OutputDirectory, ".gitignore"));
        return written;
    }

    /// <summary>The image a project's Deployment names before kustomize's images transformer rewrites it.</summary>
    public static string ImageName(ProjectResource project) => $"aetherium-{project.Name}";

    private static IEnumerable<string> Overlay(string root, string name, List<ProjectResource> projects, Func<ProjectResource, int> replicas, bool pdb)
    {
        var dir = Path.Combine(root, "overlays", name);
        Directory.CreateDirectory(dir);
        var patch = string.Join("---\n", projects.Select(p => Yaml.Serialize(Map(
            ("apiVersion", "apps/v1"), ("kind", "Deployment"), ("metadata", Map(("name", p.Name))),
            ("spec", Map(("replicas", replicas(p))))))));
        File.WriteAllText(Path.Combine(dir, "replicas.yaml"), patch);
        var resources = new List<string>();
        if (pdb)
        {
            File.WriteAllText(Path.Combine(dir, "disruption-budgets.yaml"), string.Join("---\n", projects.Select(p => Yaml.Serialize(Map(
                ("apiVersion", "policy/v1"), ("kind", "PodDisruptionBudget"),
                ("metadata", Map(("name", p.Name), ("labels", Labels(p.Name)))),
                ("spec", Map(("minAvailable", 1), ("selector", Map(("matchLabels", Selector(p.Name)))))))))));
            resources.Add("disruption-budgets.yaml");
        }
        File.WriteAllText(Path.Combine(dir, "kustomization.yaml"), Yaml.Serialize(Map(
            ("apiVersion", "kustomize.config.k8s.io/v1beta1"),
            ("kind", "Kustomization"),
            // "bases" and "patchesStrategicMerge": the spelling kustomize v2 needs and v5 still reads.
            ("bases", new List<string> { "../../base" }),
            ("resources", resources.Count > 0 ? resources : null),
            ("patchesStrategicMerge", new List<string> { "replicas.yaml" }))));
        return Directory.GetFiles(dir);
    }

    private static Dictionary<string, object?> Deployment(ProjectResource project, string instanceAttributes)
    {
        var container = Map(
            ("name", project.Name),
            ("image", ImageName(project)),
            ("ports", new List<object> { Map(("name", "http"), ("containerPort", KubernetesAddressing.ServicePort)) }),
            ("env", new List<object>
            {
                Map(("name", "POD_NAME"), ("valueFrom", Map(("fieldRef", Map(("fieldPath", "metadata.name")))))),
                Env("OTEL_RESOURCE_ATTRIBUTES", instanceAttributes),
            }),
            ("envFrom", new List<object>
            {
                Map(("configMapRef", Map(("name", $"{project.Name}-config")))),
                Map(("secretRef", Map(("name", $"{project.Name}-secrets")))),
            }),
            ("startupProbe", Probe("/alive", period: 2, failures: 30)),
            ("readinessProbe", Probe(project.HealthPath, period: 5, failures: 3)),
            ("livenessProbe", Probe("/alive", period: 10, failures: 3)),
            ("resources", Map(
                ("requests", Map(("cpu", project.Deployment.CpuRequest), ("memory", project.Deployment.MemoryRequest))),
                ("limits", Map(("cpu", project.Deployment.CpuLimit), ("memory", project.Deployment.MemoryLimit))))),
            ("securityContext", Map(("allowPrivilegeEscalation", false), ("readOnlyRootFilesystem", true),
                ("capabilities", Map(("drop", new List<string> { "ALL" }))))),
            ("volumeMounts", new List<object> { Map(("name", "tmp"), ("mountPath", "/tmp")) }));
        var pod = Map(
            ("metadata", Map(("labels", Labels(project.Name)))),
            ("spec", Map(
                ("securityContext", Map(("runAsNonRoot", true), ("runAsUser", AppUser), ("runAsGroup", AppUser), ("fsGroup", AppUser),
                    ("seccompProfile", Map(("type", "RuntimeDefault"))))),
                ("containers", new List<object> { container }),
                // .NET writes to /tmp; the root filesystem stays read-only.
                ("volumes", new List<object> { Map(("name", "tmp"), ("emptyDir", Map())) }))));
        return Map(
            ("apiVersion", "apps/v1"),
            ("kind", "Deployment"),
            ("metadata", Map(("name", project.Name), ("labels", Labels(project.Name)))),
            ("spec", Map(
                ("replicas", 1),
                ("selector", Map(("matchLabels", Selector(project.Name)))),
                ("template", pod))));
    }

    private static Dictionary<string, object?> Probe(string path, int period, int failures) => Map(
        ("httpGet", Map(("path", path), ("port", "http"))), ("periodSeconds", period), ("failureThreshold", failures), ("timeoutSeconds", 3));

    private static Dictionary<string, object?> Service(string name) => Map(
        ("apiVersion", "v1"), ("kind", "Service"),
        ("metadata", Map(("name", name), ("labels", Labels(name)))),
        ("spec", Map(("selector", Selector(name)),
            ("ports", new List<object> { Map(("name", "http"), ("port", KubernetesAddressing.ServicePort), ("targetPort", "http")) }))));

    private static Dictionary<string, object?> HeadlessService(string name, int port) => Map(
        ("apiVersion", "v1"), ("kind", "Service"),
        ("metadata", Map(("name", name), ("labels", Labels(name)))),
        ("spec", Map(("clusterIP", "None"), ("selector", Selector(name)),
            ("ports", new List<object> { Map(("name", "main"), ("port", port), ("targetPort", port)) }))));

    private static Dictionary<string, object?> StatefulSet(string name, string image, int port, string dataPath, int user,
        List<object> env, string[] readiness)
    {
        var container = Map(
            ("name", name), ("image", image),
            ("ports", new List<object> { Map(("name", "main"), ("containerPort", port)) }),
            ("env", env),
            ("readinessProbe", Map(("exec", Map(("command", readiness.ToList()))), ("periodSeconds", 5), ("timeoutSeconds", 5))),
            ("resources", Map(("requests", Map(("cpu", "250m"), ("memory", "256Mi"))), ("limits", Map(("cpu", "1"), ("memory", "1Gi"))))),
            ("securityContext", Map(("allowPrivilegeEscalation", false))),
            ("volumeMounts", new List<object> { Map(("name", "data"), ("mountPath", dataPath)) }));
        var claim = Map(
            ("metadata", Map(("name", "data"))),
            ("spec", Map(("accessModes", new List<string> { "ReadWriteOnce" }), ("resources", Map(("requests", Map(("storage", "10Gi"))))))));
        var pod = Map(
            ("metadata", Map(("labels", Labels(name)))),
            ("spec", Map(
                ("securityContext", Map(("runAsNonRoot", true), ("runAsUser", user), ("fsGroup", user))),
                ("containers", new List<object> { container }))));
        return Map(
            ("apiVersion", "apps/v1"), ("kind", "StatefulSet"),
            ("metadata", Map(("name", name), ("labels", Labels(name)))),
            ("spec", Map(
                ("serviceName", name),
                ("replicas", 1),
                ("selector", Map(("matchLabels", Selector(name)))),
                ("template", pod),
                ("volumeClaimTemplates", new List<object> { claim }))));
    }

    /// <summary>One host; the first external project (the gateway) serves it all.</summary>
    private static Dictionary<string, object?> Ingress(List<ProjectResource> projects, KubernetesPublishOptions options)
    {
        var backend = Map(("service", Map(("name", projects[0].Name), ("port", Map(("number", KubernetesAddressing.ServicePort))))));
        var rule = Map(
            ("host", options.IngressHost),
            ("http", Map(("paths", new List<object> { Map(("path", "/"), ("pathType", "Prefix"), ("backend", backend)) }))));
        return Map(
            ("apiVersion", "networking.k8s.io/v1"), ("kind", "Ingress"),
            ("metadata", Map(("name", "aetherium"), ("labels", Map(("app.kubernetes.io/part-of", "aetherium"))))),
            ("spec", Map(("ingressClassName", options.IngressClass), ("rules", new List<object> { rule }))));
    }

    private static Dictionary<string, object?> ConfigMap(string name, IDictionary<string, string> data) => Map(
        ("apiVersion", "v1"), ("kind", "ConfigMap"), ("metadata", Map(("name", name))), ("data", data));

    private static Dictionary<string, object?> Secret(string name, IDictionary<string, string> data) => Map(
        ("apiVersion", "v1"), ("kind", "Secret"), ("metadata", Map(("name", name))), ("type", "Opaque"), ("stringData", data));

    private static Dictionary<string, object?> Env(string name, string value) => Map(("name", name), ("value", value));

    private static Dictionary<string, object?> SecretEnv(string name, string secret, string key) =>
        Map(("name", name), ("valueFrom", Map(("secretKeyRef", Map(("name", secret), ("key", key))))));

    private static Dictionary<string, object?> Labels(string name) =>
        Map(("app.kubernetes.io/name", name), ("app.kubernetes.io/part-of", "aetherium"));

    private static Dictionary<string, object?> Selector(string name) => Map(("app.kubernetes.io/name", name));

    private static Dictionary<string, object?> Map(params (string Key, object? Value)[] entries)
    {
        var map = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (k, v) in entries) map[k] = v;
        return map;
    }
}
