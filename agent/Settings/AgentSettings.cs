using System.Text.Json;
using Aetherium.Agent.Runtime;
using Aetherium.Agent.Runtime.Isolation;
using Aetherium.Contracts.Agent;

namespace Aetherium.Agent.Settings;

/// <summary>What `aetherium-agent run` needs. The token is never logged and never put on a command line by us.</summary>
/// <param name="ImageDirectory">The qemu driver's VM image (scripts/build-image.sh's output); default &lt;data-dir&gt;/images/aetherium-tiny.</param>
public sealed record AgentSettings(Uri Controller, string Token, string Runtime, string DataDirectory, string? PublicAddress,
    IdRange? VmUserIds = null, string? ImageDirectory = null)
{
    public override string ToString() => $"controller {Controller}, runtime {Runtime}, data dir {DataDirectory}"; // no token
}

/// <summary>The config file (/etc/aetherium-agent/agent.json), as `install` writes it.</summary>
public sealed record AgentConfigFile(string? Controller = null, string? Token = null, string? Runtime = null, string? DataDir = null,
    string? PublicAddress = null, string? VmUserIds = null, string? ImageDir = null);

/// <summary>The settings as given on the command line (null = not given).</summary>
public sealed record SettingsInput(string? Controller, string? Token, string? Runtime, string? DataDir, string? PublicAddress, string? ConfigFile,
    string? ImageDir = null);

/// <summary>Command line, then environment (AETHERIUM_*), then the config file, then defaults.</summary>
public static class SettingsLoader
{
    public const string DefaultConfigFile = "/etc/aetherium-agent/agent.json";

    public static string DefaultDataDirectory() =>
        Environment.UserName == "root" || Environment.GetEnvironmentVariable("USER") == "root"
            ? "/var/lib/aetherium-agent"
            : Path.Combine(Environment.GetEnvironmentVariable("XDG_DATA_HOME") is { Length: > 0 } xdg
                ? xdg
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share"), "aetherium-agent");

    public static (AgentSettings? Settings, string? Error) Resolve(SettingsInput cli, Func<string, string?> environment)
    {
        var configPath = cli.ConfigFile ?? environment("AETHERIUM_CONFIG");
        AgentConfigFile file = new();
        if (configPath is not null && !File.Exists(configPath)) return (null, $"config file {configPath} does not exist");
        configPath ??= File.Exists(DefaultConfigFile) ? DefaultConfigFile : null;
        if (configPath is not null)
        {
            try
            {
                file = JsonSerializer.Deserialize<AgentConfigFile>(File.ReadAllText(configPath), AgentJson.Options) ?? new();
            }
            catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
            {
                return (null, $"cannot read config file {configPath}: {e.Message}");
            }
        }

        var controller = First(cli.Controller, environment("AETHERIUM_CONTROLLER"), file.Controller);
        var token = First(cli.Token, environment("AETHERIUM_TOKEN"), file.Token);
        var runtime = First(cli.Runtime, environment("AETHERIUM_RUNTIME"), file.Runtime) ?? RuntimeNames.Process;
        var dataDir = First(cli.DataDir, environment("AETHERIUM_DATA_DIR"), file.DataDir) ?? DefaultDataDirectory();
        var publicAddress = First(cli.PublicAddress, environment("AETHERIUM_PUBLIC_ADDRESS"), file.PublicAddress);
        var vmUserIds = First(environment("AETHERIUM_VM_USER_IDS"), file.VmUserIds);
        var imageDir = First(cli.ImageDir, environment("AETHERIUM_IMAGE_DIR"), file.ImageDir);

        if (controller is null) return (null, "no controller given: --controller URL, AETHERIUM_CONTROLLER or \"controller\" in the config file");
        if (!Uri.TryCreate(controller, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https" or "ws" or "wss"))
            return (null, $"controller must be an absolute http(s) URL, got \"{controller}\"");
        if (token is null) return (null, "no token given: --token TOKEN, AETHERIUM_TOKEN or \"token\" in the config file");
        if (!RuntimeNames.All.Contains(runtime)) return (null, $"runtime must be one of {string.Join(", ", RuntimeNames.All)}, got \"{runtime}\"");
        IdRange? range = null;
        if (vmUserIds is not null)
        {
            if (!IdRange.TryParse(vmUserIds, out var parsed, out var error)) return (null, error);
            range = parsed;
        }
        return (new AgentSettings(uri, token, runtime, Path.GetFullPath(dataDir), publicAddress, range,
            imageDir is null ? null : Path.GetFullPath(imageDir)), null);
    }

    private static string? First(params string?[] values) => values.FirstOrDefault(v => !string.IsNullOrWhiteSpace(v));
}
