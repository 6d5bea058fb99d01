using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using System.Reflection;

namespace Aetherium.AppHost.Dashboard;

/// <summary>The page itself: plain HTML, CSS and JavaScript embedded in the AppHost assembly (no front-end build).</summary>
internal static class StaticAssets
{
    private static readonly Dictionary<string, (string ContentType, string Resource)> Files = new()
    {
        ["/"] = ("text/html; charset=utf-8", "index.html"),
        ["/app.css"] = ("text/css; charset=utf-8", "app.css"),
        ["/app.js"] = ("text/javascript; charset=utf-8", "app.js"),
    };

    public static void Map(WebApplication web)
    {
        var assembly = typeof(StaticAssets).Assembly;
        foreach (var (path, (contentType, name)) in Files)
        {
            var bytes = Read(assembly, name);
            web.MapGet(path, () => TypedResults.Bytes(bytes, contentType));
        }
    }

    private static byte[] Read(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream($"Dashboard/{name}")
            ?? throw new InvalidOperationException($"Dashboard asset {name} is not embedded in {assembly.GetName().Name}.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
