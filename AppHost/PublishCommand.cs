using Aetherium.Hosting;
using Aetherium.Hosting.Publishing;

namespace Aetherium.AppHost;

/// <summary>
/// <c>publish k8s &lt;dir&gt; [--registry R] [--tag T] [--namespace N] [--host H] [--ingress-class C]
/// [--otlp-endpoint URL] [--otlp-headers H]</c>: renders the app model as a kustomize tree. Secrets are
/// generated afresh for the cluster (never the local ones); existing servers given as
/// <c>ConnectionStrings__postgres</c> / <c>ConnectionStrings__messaging</c> replace the StatefulSets.
/// </summary>
public static class PublishCommand
{
    public const string Usage =
        "usage: dotnet run --project AppHost -- publish k8s <dir> [--registry R] [--tag T] [--namespace N] [--host H] [--ingress-class C] [--otlp-endpoint URL] [--otlp-headers H]";

    public static int Run(string[] args)
    {
        if (args.Length < 3 || args[1] != "k8s" || args[2].StartsWith("--", StringComparison.Ordinal))
        {
            Console.Error.WriteLine(Usage);
            return 2;
        }
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        var rest = new List<string>();
        string[] known = ["--registry", "--tag", "--namespace", "--host", "--ingress-class", "--otlp-endpoint", "--otlp-headers"];
        for (var i = 3; i < args.Length; i++)
        {
            if (known.Contains(args[i]))
            {
                if (i + 1 >= args.Length) { Console.Error.WriteLine($"{args[i]} needs a value\n{Usage}"); return 2; }
                options[args[i]] = args[++i];
            }
            else rest.Add(args[i]);
        }

        var state = Path.Combine(Path.GetTempPath(), $"aetherium-publish-{Guid.NewGuid():N}");
        try
        {
            var builder = new DistributedApplicationBuilder(new DistributedApplicationOptions { Args = [.. rest], DataDirectory = state, EchoLogs = false });
            AetheriumModel.Define(builder);
            builder.Build(); // fixes the model; nothing is started
            var output = Path.GetFullPath(args[2]);
            var files = KubernetesPublisher.Publish(builder, new KubernetesPublishOptions
            {
                OutputDirectory = output,
                Registry = options.GetValueOrDefault("--registry", "aetherium"),
                Tag = options.GetValueOrDefault("--tag", "latest"),
                Namespace = options.GetValueOrDefault("--namespace", "aetherium"),
                IngressHost = options.GetValueOrDefault("--host", "aetherium.local"),
                IngressClass = options.GetValueOrDefault("--ingress-class"),
                OtlpEndpoint = options.GetValueOrDefault("--otlp-endpoint"),
                OtlpHeaders = options.GetValueOrDefault("--otlp-headers"),
            });
            Console.WriteLine($"wrote {files.Count} files to {output}: kubectl apply -k {Path.Combine(output, "overlays", "dev")} (or overlays/prod)");
            Console.WriteLine($"secrets were generated into {Path.Combine(output, "base")}/*{KubernetesPublisher.SecretFileSuffix} (git-ignored there): keep them safe");
            return 0;
        }
        finally
        {
            Directory.Delete(state, recursive: true);
        }
    }
}
