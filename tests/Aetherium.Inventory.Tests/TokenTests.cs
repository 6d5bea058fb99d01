using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Net;
using Aetherium.Testing;
using Xunit;

namespace Aetherium.Inventory.Tests;

public sealed class PackageFixture : InventoryFixture
{
    public string PackageDir { get; } = Directory.CreateTempSubdirectory("agent-package").FullName;

    public PackageFixture()
    {
        File.WriteAllText(Path.Combine(PackageDir, "aetherium-agent.dll"), "not really a dll");
        Directory.CreateDirectory(Path.Combine(PackageDir, "runtimes"));
        File.WriteAllText(Path.Combine(PackageDir, "runtimes", "notes.txt"), "nested file");
    }

    protected override Dictionary<string, string?> Config
    {
        get
        {
            var c = InventoryFactory.Fast();
            c["Agent:PackageDirectory"] = PackageDir;
            return c;
        }
    }
}

public sealed class TokenTests(PackageFixture fx) : IClassFixture<PackageFixture>
{
    [Fact]
    public async Task The_token_comes_from_identity_for_this_worker_with_an_install_script()
    {
        var tenant = Tenant.New();
        using var api = fx.Factory.As(tenant.Token);
        var id = await api.CreateWorkerAsync("GPU-Worker-01");

        var issued = await (await api.PostJsonAsync($"/api/v1/workers/{id}/token", new { expires_in = 3600 })).JsonAsync();
        var request = fx.Factory.Identity.Requests.Single(r => r.WorkerId == id);
        Assert.Equal(tenant.OrganizationId, request.OrganizationId);
        Assert.Equal(3600, request.ExpiresInSeconds);
        var token = (string)issued["token"]!;
        var expires = DateTimeOffset.Parse((string)issued["expires_at"]!);
        Assert.InRange(expires, DateTimeOffset.UtcNow.AddMinutes(58), DateTimeOffset.UtcNow.AddMinutes(61));

        var script = (string)issued["install_script"]!;
        Assert.StartsWith("#!/usr/bin/env bash", script);
        Assert.Contains($"TOKEN='{token}'", script);
        Assert.Contains("CONTROLLER='https://cloud.example.test'", script);
        Assert.Contains("/api/v1/agent/package", script);
        Assert.Contains("AETHERIUM_TOKEN=\"$TOKEN\" dotnet \"$INSTALL_DIR/aetherium-agent.dll\" install --controller \"$CONTROLLER\"", script);
        Assert.Contains(id.ToString(), script);

        var w = await api.WorkerAsync(id);
        // PostgreSQL keeps microseconds.
        Assert.InRange(DateTimeOffset.Parse((string)w["token_metadata"]!["token_expires_at"]!) - expires, TimeSpan.FromMilliseconds(-1), TimeSpan.FromMilliseconds(1));

        // Default lifetime is identity's (null asked), and bad values never reach identity.
        await (await api.PostAsync($"/api/v1/workers/{id}/token", null)).JsonAsync();
        Assert.Null(fx.Factory.Identity.Requests.Last(r => r.WorkerId == id).ExpiresInSeconds);
        await (await api.PostJsonAsync($"/api/v1/workers/{id}/token", new { expires_in = 5 })).ProblemAsync(HttpStatusCode.BadRequest);
        Assert.Equal(2, fx.Factory.Identity.Requests.Count(r => r.WorkerId == id));
    }

    [Fact]
    public async Task A_token_is_minted_from_no_body_or_an_object_and_never_from_a_bad_one()
    {
        using var api = fx.Factory.As(Tenant.New().Token);
        var id = await api.CreateWorkerAsync("picky");
        foreach (var (name, body) in BadBodies.ForExpiresIn())
        {
            var response = await api.PostAsync($"/api/v1/workers/{id}/token", BadBodies.Json(body));
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{name}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
        Assert.DoesNotContain(fx.Factory.Identity.Requests, r => r.WorkerId == id);
        Assert.False((await api.WorkerAsync(id)).ContainsKey("token_metadata"));

        await (await api.PostAsync($"/api/v1/workers/{id}/token", null)).JsonAsync();
        Assert.Null(fx.Factory.Identity.Requests.Single(r => r.WorkerId == id).ExpiresInSeconds);
    }

    [Fact]
    public async Task Identity_being_down_is_a_503_not_a_500()
    {
        using var api = fx.Factory.As(Tenant.New().Token);
        var id = await api.CreateWorkerAsync("no-identity");
        fx.Factory.Identity.Down = true;
        try
        {
            await (await api.PostJsonAsync($"/api/v1/workers/{id}/token", new { })).ProblemAsync(HttpStatusCode.ServiceUnavailable);
        }
        finally
        {
            fx.Factory.Identity.Down = false;
        }
        Assert.False((await api.WorkerAsync(id)).ContainsKey("token_metadata"));
    }

    [Fact]
    public async Task The_agent_package_is_the_configured_directory_as_a_tar_gz()
    {
        using var api = fx.Factory.As(Tenant.New().Token);
        var (_, token, _) = await api.EnrollAsync("downloader");
        using var agent = fx.Factory.As(token);

        var response = await agent.GetAsync("/api/v1/agent/package");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/gzip", response.Content.Headers.ContentType?.MediaType);
        var into = Directory.CreateTempSubdirectory("agent-unpacked").FullName;
        await using (var gz = new GZipStream(await response.Content.ReadAsStreamAsync(), CompressionMode.Decompress))
            await TarFile.ExtractToDirectoryAsync(gz, into, overwriteFiles: false);
        Assert.Equal("not really a dll", File.ReadAllText(Path.Combine(into, "aetherium-agent.dll")));
        Assert.Equal("nested file", File.ReadAllText(Path.Combine(into, "runtimes", "notes.txt")));

        using var anonymous = fx.Factory.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/v1/agent/package")).StatusCode);
    }

    [Fact]
    public async Task Without_a_package_directory_the_download_is_a_404_problem()
    {
        await using var bare = await InventoryFactory.StartAsync("nopackage");
        using var api = bare.As(Tenant.New().Token);
        await (await api.GetAsync("/api/v1/agent/package")).ProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task The_install_script_is_valid_bash_and_fails_clearly_without_dotnet_or_systemd()
    {
        using var api = fx.Factory.As(Tenant.New().Token);
        var id = await api.CreateWorkerAsync("it's \"quoted\"");
        var script = (string)(await (await api.PostJsonAsync($"/api/v1/workers/{id}/token", new { })).JsonAsync())["install_script"]!;
        var path = Path.Combine(Directory.CreateTempSubdirectory("install").FullName, "install.sh");
        File.WriteAllText(path, script);

        Assert.Equal(0, (await Bash($"-n {path}", null)).Code);

        // A PATH with the basics but no dotnet.
        var bin = Directory.CreateTempSubdirectory("bin").FullName;
        foreach (var tool in new[] { "id", "curl", "tar", "mktemp", "dirname", "rm", "mkdir", "mv" })
            if (Which(tool) is { } real) File.CreateSymbolicLink(Path.Combine(bin, tool), real);
        var noDotnet = await Bash(path, bin);
        Assert.NotEqual(0, noDotnet.Code);
        Assert.Contains("dotnet", noDotnet.Error);

        // dotnet present, systemd not running (this machine has no /run/systemd/system).
        File.WriteAllText(Path.Combine(bin, "dotnet"), "#!/bin/sh\nexit 0\n");
        File.WriteAllText(Path.Combine(bin, "systemctl"), "#!/bin/sh\nexit 0\n");
        File.SetUnixFileMode(Path.Combine(bin, "dotnet"), UnixFileMode.UserRead | UnixFileMode.UserExecute);
        File.SetUnixFileMode(Path.Combine(bin, "systemctl"), UnixFileMode.UserRead | UnixFileMode.UserExecute);
        if (!Directory.Exists("/run/systemd/system"))
        {
            var noSystemd = await Bash(path, bin);
            Assert.NotEqual(0, noSystemd.Code);
            Assert.Contains("systemd", noSystemd.Error);
        }
    }

    private static string? Which(string tool) =>
        new[] { "/usr/bin", "/bin", "/usr/sbin", "/sbin" }.Select(d => Path.Combine(d, tool)).FirstOrDefault(File.Exists);

    private static async Task<(int Code, string Error)> Bash(string args, string? path)
    {
        var psi = new ProcessStartInfo("/bin/bash", args) { RedirectStandardError = true, RedirectStandardOutput = true };
        if (path is not null) psi.Environment["PATH"] = path;
        using var p = Process.Start(psi)!;
        var err = await p.StandardError.ReadToEndAsync();
        await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        return (p.ExitCode, err);
    }
}
