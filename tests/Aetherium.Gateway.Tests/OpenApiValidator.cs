using System.Diagnostics;

namespace Aetherium.Gateway.Tests;

/// <summary>
/// An independent OpenAPI 3 validator: @seriousme/openapi-schema-validator (the official OpenAPI 3.0/3.1 JSON
/// schemas, then every $ref resolved), run with Node from tools/openapi-validator, installed from its lock file
/// on first use. Node and npm come from Debian's packages, which scripts/prereqs.sh installs.
/// </summary>
public static class OpenApiValidator
{
    private static readonly SemaphoreSlim Gate = new(1, 1);

    public sealed record Result(bool Valid, string Output);

    public static async Task<Result> ValidateAsync(string documentPath)
    {
        var cli = await InstallAsync();
        var (code, output) = await RunAsync("node", [cli, documentPath], Path.GetDirectoryName(documentPath)!);
        return new Result(code == 0, output);
    }

    private static async Task<string> InstallAsync()
    {
        var root = RepositoryRoot();
        var tool = Path.Combine(root, "tools", "openapi-validator");
        var cli = Path.Combine(tool, "node_modules", "@seriousme", "openapi-schema-validator", "bin", "validate-api-cli.js");
        await Gate.WaitAsync();
        try
        {
            if (File.Exists(cli)) return cli;
            if (!await HasAsync("node") || !await HasAsync("npm"))
            {
                var (prereqs, log) = await RunAsync("bash", [Path.Combine(root, "scripts", "prereqs.sh")], root);
                if (prereqs != 0) throw new InvalidOperationException($"node/npm are missing and scripts/prereqs.sh failed ({prereqs}): {log}");
            }
            var (code, output) = await RunAsync("npm", ["ci", "--no-audit", "--no-fund"], tool);
            if (code != 0 || !File.Exists(cli)) throw new InvalidOperationException($"npm ci in {tool} failed ({code}): {output}");
            return cli;
        }
        finally { Gate.Release(); }
    }

    private static async Task<bool> HasAsync(string program)
    {
        try { return (await RunAsync(program, ["--version"], Path.GetTempPath())).Code == 0; }
        catch (System.ComponentModel.Win32Exception) { return false; } // not on PATH
    }

    private static async Task<(int Code, string Output)> RunAsync(string program, string[] args, string directory)
    {
        var start = new ProcessStartInfo(program) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        try { await process.WaitForExitAsync(timeout.Token); }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', args)} did not finish in 5 minutes");
        }
        return (process.ExitCode, await stdout + await stderr);
    }

    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Aetherium.sln"))) return dir.FullName;
        throw new InvalidOperationException("Aetherium.sln not found above " + AppContext.BaseDirectory);
    }
}
