using Aetherium.Testing;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Aetherium.LoadTests;

/// <summary>A service in-process behind a real Kestrel socket on loopback, not the in-memory test server.</summary>
public static class Kestrel
{
    /// <summary>Starts the service on a free loopback port, waits until it is healthy, and returns its base URL.</summary>
    public static async Task<Uri> StartAsync<TProgram>(ServiceFactory<TProgram> service) where TProgram : class
    {
        // WebApplicationFactory finds the service's content root through a manifest it looks for in the current directory.
        Environment.CurrentDirectory = AppContext.BaseDirectory;
        service.UseKestrel(0);
        service.StartServer();
        await service.WaitHealthyAsync();
        return new Uri(service.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }

    /// <summary>The soft limit on open files of this process (what `ulimit -n` raises), or null off Linux.</summary>
    public static long? OpenFilesLimit()
    {
        if (!File.Exists("/proc/self/limits")) return null;
        var line = File.ReadLines("/proc/self/limits").FirstOrDefault(l => l.StartsWith("Max open files", StringComparison.Ordinal));
        var fields = line?["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields is { Length: > 0 } && long.TryParse(fields[0], out var soft) ? soft : null;
    }
}
