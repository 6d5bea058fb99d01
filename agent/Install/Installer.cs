using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Aetherium.Agent.Settings;
using Aetherium.Contracts.Agent;

namespace Aetherium.Agent.Install;

public sealed record InstallRequest(
    Uri Controller,
    string Token,
    string? Runtime,
    string? DataDir,
    string UnitDirectory,
    string ConfigDirectory,
    bool NoStart,
    IReadOnlyList<string> ExecStart,
    string SystemdRuntimeDirectory = "/run/systemd/system");

/// <summary>
/// `aetherium-agent install`: the systemd unit and the config file (the token lives only there,
/// mode 0600 in a 0700 directory, never on a command line), then daemon-reload and enable --now.
/// </summary>
public static class Installer
{
    public const string ServiceName = "aetherium-agent";

    public const int SystemdMissingExitCode = 3;

    public static string ConfigFilePath(string configDirectory) => Path.Combine(configDirectory, "agent.json");

    public static string UnitFile(IReadOnlyList<string> execStart, string configFile)
    {
        var command = string.Join(' ', execStart.Concat(["run", "--config", configFile]).Select(SystemdQuote));
        var dotnetRoot = execStart.Count > 1 && Path.GetFileName(execStart[0]) == "dotnet"
            ? $"Environment=DOTNET_ROOT={SystemdQuote(Path.GetDirectoryName(Path.GetFullPath(execStart[0]))!)}\n"
            : "";
        return $"""
            [Unit]
            Description=Aetherium node agent
            Wants=network-online.target
            After=network-online.target

            [Service]
            Type=notify
            ExecStart={command}
            {dotnetRoot}Restart=always
            RestartSec=5
            # On SIGTERM the agent tells the controller it is going away and stops its VMs itself;
            # only what is still running when the timeout ends is killed.
            KillMode=mixed
            TimeoutStopSec=60
            # VM cgroups (CPU and memory limits) are made under the agent's own cgroup.
            Delegate=yes

            [Install]
            WantedBy=multi-user.target

            """;
    }

    /// <summary>systemd's quoting: double quotes when needed; "%" and "$" are specifiers to escape.</summary>
    internal static string SystemdQuote(string value)
    {
        var escaped = value.Replace("%", "%%").Replace("$", "$$");
        if (escaped.Length > 0 && escaped.All(c => char.IsAsciiLetterOrDigit(c) || "/._-+=:,@%$".Contains(c))) return escaped;
        return "\"" + escaped.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
    }

    public static async Task<int> RunAsync(InstallRequest request, TextWriter output, CancellationToken ct)
    {
        Directory.CreateDirectory(request.UnitDirectory);
        var configFile = ConfigFilePath(request.ConfigDirectory);
        await MakePrivateDirectoryAsync(request.ConfigDirectory, configFile, output);
        WritePrivate(configFile, JsonSerializer.Serialize(
            new AgentConfigFile(request.Controller.ToString(), request.Token, request.Runtime, request.DataDir),
            new JsonSerializerOptions(AgentJson.Options) { WriteIndented = true }));
        var unitFile = Path.Combine(request.UnitDirectory, ServiceName + ".service");
        await File.WriteAllTextAsync(unitFile, UnitFile(request.ExecStart, configFile), ct);
        File.SetUnixFileMode(unitFile, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        await output.WriteLineAsync($"wrote {unitFile} and {configFile} (mode 0600)");

        if (!Directory.Exists(request.SystemdRuntimeDirectory))
        {
            await output.WriteLineAsync(
                $"systemd is not running on this machine (no {request.SystemdRuntimeDirectory}): the service was not started; " +
                $"run the agent with: {string.Join(' ', request.ExecStart)} run --config {configFile}");
            return SystemdMissingExitCode;
        }
        foreach (var arguments in (string[][])[["daemon-reload"], request.NoStart ? ["enable", ServiceName] : ["enable", "--now", ServiceName]])
        {
            var (code, text) = await SystemctlAsync(arguments, ct);
            if (code != 0)
            {
                await output.WriteLineAsync($"systemctl {string.Join(' ', arguments)} failed (exit code {code}): {text.Trim()}");
                return 1;
            }
        }
        await output.WriteLineAsync(request.NoStart
            ? $"{ServiceName} enabled; start it with: systemctl start {ServiceName}"
            : $"{ServiceName} enabled and started; follow it with: journalctl -u {ServiceName} -f");
        return 0;
    }

    /// <summary>
    /// The config directory is the agent's own: 0700, so that nobody else (a VM's user least of all) even
    /// sees what is in it. One that holds other files (say --config-dir /etc) is not ours to close; the
    /// token file in it is 0600 all the same.
    /// </summary>
    private static async Task MakePrivateDirectoryAsync(string directory, string configFile, TextWriter output)
    {
        const UnixFileMode ownerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        if (!Directory.Exists(directory))
        {
            Directory.CreateDirectory(directory, ownerOnly);
            return;
        }
        if (File.GetUnixFileMode(directory) == ownerOnly) return;
        if (Directory.EnumerateFileSystemEntries(directory).Any(entry => entry != configFile))
        {
            await output.WriteLineAsync($"{directory} holds other files and is left as it is; {configFile} is private (mode 0600)");
            return;
        }
        File.SetUnixFileMode(directory, ownerOnly);
    }

    /// <summary>Created 0600 before the token is written, so it is never readable by others, not even briefly.</summary>
    private static void WritePrivate(string path, string content)
    {
        var options = new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        };
        using var stream = new FileStream(path, options);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite); // an existing file keeps its mode otherwise
        using var writer = new StreamWriter(stream, new UTF8Encoding(false));
        writer.Write(content);
    }

    private static async Task<(int Code, string Output)> SystemctlAsync(string[] arguments, CancellationToken ct)
    {
        var start = new ProcessStartInfo("systemctl") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        try
        {
            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync(ct);
            var stderr = process.StandardError.ReadToEndAsync(ct);
            await process.WaitForExitAsync(ct);
            return (process.ExitCode, await stdout + await stderr);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (127, $"cannot run systemctl: {e.Message}");
        }
    }
}
