using System.Diagnostics;
using System.Text;

namespace Aetherium.Agent.Tests;

/// <summary>
/// The project's VM image, built once per machine by scripts/build-image.sh (which skips the build when
/// its inputs are unchanged) into .aetherium/images/aetherium-tiny, and a throwaway ed25519 key.
/// </summary>
public sealed class QemuImageFixture : IDisposable
{
    public QemuImageFixture()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Aetherium.sln"))) root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("no repository root above the tests");
        ImageDirectory = Path.Combine(root, ".aetherium", "images", "aetherium-tiny");
        var watch = Stopwatch.StartNew();
        var (code, output) = Tool.Run("bash", [Path.Combine(root, "scripts", "build-image.sh"), ImageDirectory], TimeSpan.FromMinutes(5));
        if (code != 0) throw new InvalidOperationException($"scripts/build-image.sh failed ({code}): {output}");
        BuildLine = $"{output.Trim()} ({watch.Elapsed.TotalSeconds:0.0} s)";
        Tool.Run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "qemu-driver-test", "-f", KeyFile], TimeSpan.FromSeconds(30));
        PublicKey = File.ReadAllText(KeyFile + ".pub").Trim();
    }

    public string ImageDirectory { get; }

    /// <summary>What the build script said, and how long it took.</summary>
    public string BuildLine { get; }

    public TempDir Keys { get; } = new();
    public string KeyFile => Keys.Combine("id_ed25519");
    public string PublicKey { get; }

    public void Dispose() => Keys.Dispose();
}

/// <summary>Runs a tool with a deadline; stdout and stderr together.</summary>
public static class Tool
{
    public static (int Code, string Output) Run(string file, IReadOnlyList<string> arguments, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var a in arguments) start.ArgumentList.Add(a);
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) start.Environment[k] = v;
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            lock (output) return (-1, $"timed out after {timeout.TotalSeconds} s: {output}");
        }
        process.WaitForExit();
        lock (output) return (process.ExitCode, output.ToString());
    }

    /// <summary>`ssh` as a tenant runs it: the key, or the password through sshpass (from the environment, not the command line).</summary>
    public static (int Code, string Output) Ssh(int port, string user, string command, string? keyFile = null, string? password = null)
    {
        List<string> args =
        [
            "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=20",
        ];
        if (keyFile is not null) args.AddRange(["-i", keyFile, "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes"]);
        else args.AddRange(["-o", "PubkeyAuthentication=no", "-o", "PreferredAuthentications=password,keyboard-interactive"]);
        args.AddRange([$"{user}@127.0.0.1", command]);
        return password is null
            ? Run("ssh", args, TimeSpan.FromSeconds(90))
            : Run("sshpass", ["-e", "ssh", .. args], TimeSpan.FromSeconds(90), new Dictionary<string, string> { ["SSHPASS"] = password });
    }
}
