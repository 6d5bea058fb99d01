using System.Text.Json;

namespace Aetherium.Agent.Tests;

/// <summary>`aetherium-agent install` with temporary unit/config directories and a fake systemctl that records its calls.</summary>
public sealed class InstallTests : IDisposable
{
    private const string Token = "eyJhbGciOi.worker-token.secret";
    private readonly TempDir _dir = new();

    private string Units => _dir.Combine("systemd", "system");
    private string Config => _dir.Combine("etc", "aetherium-agent");
    private string Record => _dir.Combine("systemctl-calls");

    private string FakeSystemctl(int exitCode = 0)
    {
        var bin = _dir.Combine("bin");
        Directory.CreateDirectory(bin);
        var path = Path.Combine(bin, "systemctl");
        File.WriteAllText(path, $"#!/bin/sh\necho \"$*\" >> '{Record}'\n{(exitCode == 0 ? "" : "echo 'Failed to connect to bus' >&2\n")}exit {exitCode}\n");
        File.SetUnixFileMode(path, (UnixFileMode)0b111_101_101);
        return bin;
    }

    private async Task<(int Code, string Output)> InstallAsync(string systemdRuntimeDir, int systemctlExit = 0, params string[] extra)
    {
        var bin = FakeSystemctl(systemctlExit);
        await using var agent = AgentProcess.Start(
            ["install", "--controller", "http://gateway.example:8080", "--token", Token, "--unit-dir", Units, "--config-dir", Config,
             "--systemd-runtime-dir", systemdRuntimeDir, .. extra],
            new Dictionary<string, string> { ["PATH"] = bin + ":" + Environment.GetEnvironmentVariable("PATH") });
        var code = await agent.WaitForExitAsync(TimeSpan.FromSeconds(30));
        return (code, agent.Output);
    }

    private string SystemdRunning()
    {
        var dir = _dir.Combine("run", "systemd", "system");
        Directory.CreateDirectory(dir);
        return dir;
    }

    [Fact]
    public async Task Writes_the_unit_and_a_private_config_then_reloads_and_enables_now()
    {
        var (code, output) = await InstallAsync(SystemdRunning());

        Assert.Equal(0, code);
        var unitPath = Path.Combine(Units, "aetherium-agent.service");
        var configPath = Path.Combine(Config, "agent.json");
        var unit = await File.ReadAllTextAsync(unitPath);
        var self = AgentBinary.Command[0];
        Assert.Contains($"ExecStart={self} run --config {configPath}\n", unit);
        Assert.Contains("Restart=always\n", unit);
        Assert.Contains("Type=notify\n", unit);
        Assert.Contains("KillMode=mixed\n", unit);
        Assert.Contains("Delegate=yes\n", unit);
        Assert.Contains("WantedBy=multi-user.target\n", unit);
        Assert.DoesNotContain(Token, unit);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(unitPath));

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(configPath));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Config));
        using var config = JsonDocument.Parse(await File.ReadAllTextAsync(configPath));
        Assert.Equal(Token, config.RootElement.GetProperty("token").GetString());
        Assert.Equal("http://gateway.example:8080/", config.RootElement.GetProperty("controller").GetString());

        Assert.Equal(["daemon-reload", "enable --now aetherium-agent"], await File.ReadAllLinesAsync(Record));
        Assert.DoesNotContain(Token, output);
        Assert.Contains("aetherium-agent enabled and started", output);
    }

    [Fact]
    public async Task No_start_enables_without_starting_and_an_existing_config_is_made_private()
    {
        Directory.CreateDirectory(Config);
        var configPath = Path.Combine(Config, "agent.json");
        await File.WriteAllTextAsync(configPath, "{}");
        File.SetUnixFileMode(configPath, (UnixFileMode)0b110_100_100);

        var (code, _) = await InstallAsync(SystemdRunning(), extra: "--no-start");

        Assert.Equal(0, code);
        Assert.Equal(["daemon-reload", "enable aetherium-agent"], await File.ReadAllLinesAsync(Record));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(configPath));
    }

    [Fact]
    public async Task The_token_is_0600_in_a_0700_directory_that_an_existing_config_directory_is_made()
    {
        Directory.CreateDirectory(Config);
        File.SetUnixFileMode(Config, (UnixFileMode)0b111_101_101);

        var (code, _) = await InstallAsync(SystemdRunning());

        Assert.Equal(0, code);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Config));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(Config, "agent.json")));
    }

    [Fact]
    public async Task A_shared_config_directory_keeps_its_mode_and_only_the_token_file_is_private()
    {
        Directory.CreateDirectory(Config);
        File.SetUnixFileMode(Config, (UnixFileMode)0b111_101_101);
        await File.WriteAllTextAsync(Path.Combine(Config, "other-service.conf"), "not the agent's");

        var (code, output) = await InstallAsync(SystemdRunning());

        Assert.Equal(0, code);
        Assert.Equal((UnixFileMode)0b111_101_101, File.GetUnixFileMode(Config));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(Config, "agent.json")));
        Assert.Contains($"{Config} holds other files and is left as it is", output);
    }

    [Fact]
    public async Task Without_systemd_it_writes_the_files_says_so_in_one_line_and_fails()
    {
        var (code, output) = await InstallAsync(_dir.Combine("no-such-dir"));

        Assert.Equal(3, code);
        var line = Assert.Single(output.Split('\n'), l => l.Contains("systemd is not running"));
        Assert.StartsWith($"systemd is not running on this machine (no {_dir.Combine("no-such-dir")})", line);
        Assert.Contains(" run --config ", line);
        Assert.True(File.Exists(Path.Combine(Units, "aetherium-agent.service")));
        Assert.True(File.Exists(Path.Combine(Config, "agent.json")));
        Assert.False(File.Exists(Record), "systemctl is not called");
    }

    [Fact]
    public async Task A_failing_systemctl_is_reported_with_its_error()
    {
        var (code, output) = await InstallAsync(SystemdRunning(), systemctlExit: 1);

        Assert.Equal(1, code);
        Assert.Contains("systemctl daemon-reload failed (exit code 1): Failed to connect to bus", output);
        Assert.Equal(["daemon-reload"], await File.ReadAllLinesAsync(Record));
    }

    public void Dispose() => _dir.Dispose();
}
