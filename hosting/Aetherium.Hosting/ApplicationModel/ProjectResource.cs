using System.Xml.Linq;

namespace Aetherium.Hosting.ApplicationModel;

/// <summary>
/// A .NET project the AppHost runs as child processes (one per replica), each on its own HTTP port.
/// Other resources find it through service discovery: <c>services__{name}__http__{i}</c>, one entry per replica.
/// </summary>
public sealed class ProjectResource(string name, string projectPath) : Resource(name)
{
    /// <summary>Path of the .csproj, relative to the repository root.</summary>
    public string ProjectPath { get; } = projectPath;
    public int Replicas { get; set; } = 1;
    /// <summary>HTTP port of each replica (null: none; the first replica may ask for a fixed port).</summary>
    public int? FixedPort { get; set; }
    public bool HasHttpEndpoint { get; set; }
    public List<int> Ports { get; } = [];
    public List<Func<IEnumerable<string>>> Args { get; } = [];
    /// <summary>Kubernetes/OTel friendly: the process is a web service probed on /health.</summary>
    public string HealthPath { get; set; } = "/health";
    /// <summary>A project started by hand (e.g. from the dashboard), not at AppHost start.</summary>
    public bool ExplicitStart { get; set; }

    /// <summary>
    /// Stopped after every other project at shutdown, though it waits for them at start: what stands for machines
    /// elsewhere (the demo fleet's agents), which outlive a control-plane restart.
    /// </summary>
    public bool StopsLast { get; set; }
    /// <summary>Resource requests/limits and other deployment hints for the Kubernetes publisher.</summary>
    public DeploymentHints Deployment { get; } = new();

    public string Url(int replica = 0) => $"http://localhost:{Ports[replica]}";

    public IEnumerable<string> ResolveArgs() => Args.SelectMany(a => a());

    /// <summary>bin/{configuration}/{tfm}/{AssemblyName}.dll next to the project.</summary>
    public string AssemblyPath(string repositoryRoot, string configuration)
    {
        var csproj = Path.Combine(repositoryRoot, ProjectPath);
        var name = Path.GetFileNameWithoutExtension(csproj);
        var framework = "net10.0";
        if (File.Exists(csproj))
        {
            var doc = XDocument.Load(csproj);
            name = doc.Descendants("AssemblyName").FirstOrDefault()?.Value ?? name;
            framework = doc.Descendants("TargetFramework").FirstOrDefault()?.Value ?? framework;
        }
        return Path.Combine(Path.GetDirectoryName(csproj)!, "bin", configuration, framework, name + ".dll");
    }
}

public sealed class DeploymentHints
{
    public string CpuRequest { get; set; } = "100m";
    public string CpuLimit { get; set; } = "1";
    public string MemoryRequest { get; set; } = "128Mi";
    public string MemoryLimit { get; set; } = "512Mi";
    /// <summary>Replicas in the prod overlay.</summary>
    public int ProductionReplicas { get; set; } = 2;
    /// <summary>Exposed outside the cluster (Ingress).</summary>
    public bool External { get; set; }
    /// <summary>Rendered into the Kubernetes manifests (a local demo fleet is not).</summary>
    public bool Publish { get; set; } = true;
}
