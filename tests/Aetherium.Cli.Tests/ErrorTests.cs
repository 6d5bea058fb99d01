using System.Net;
using Aetherium.Testing;
using Xunit;

namespace Aetherium.Cli.Tests;

/// <summary>Bad input and a missing gateway: one clear line on stderr, a non-zero exit code, never a stack trace.</summary>
[Collection(CliSystem.Collection)]
public sealed class ErrorTests(CliSystem system)
{
    [Fact]
    public async Task Field_errors_from_the_API_name_the_options_and_change_nothing()
    {
        var (shell, _) = await system.TenantShellAsync();
        using var _shell = shell;

        var vm = Expect.Failure(await shell.RunAsync("vms", "create", "bad", "--cpu", "0", "--memory", "256", "--disk", "1", "--image", "no-such-image"), 1,
            "One or more fields are invalid (400)", "--cpu: must be between 1 and", "--image: unknown image 'no-such-image'");
        Assert.DoesNotContain("spec.cpu_cores", vm);
        Expect.Failure(await shell.RunAsync("vms", "create", "also bad", "--image", "ubuntu-24.04"), 1, "(400)", "name: may contain only");

        Expect.Failure(await shell.RunAsync("leases", "rent", "--cpu", "1"), 1, "(400)", "--hours: is required");
        Expect.Failure(await shell.RunAsync("leases", "rent", "--hours", "1", "--seconds", "60"), 1, "(400)", "--hours: give either");
        Expect.Failure(await shell.RunAsync("leases", "rent", "--seconds", "2"), 1, "(400)", "--seconds: must be between 5 and");
        Expect.Failure(await shell.RunAsync("leases", "rent", "--hours", "1", "--ssh-key", "ssh-rsa nonsense"), 1, "(400)", "--ssh-key:");
        Expect.Failure(await shell.RunAsync("workers", "list", "--limit", "501"), 1, "(400)", "--limit:");
        Expect.Failure(await shell.RunAsync("workers", "drain", Guid.NewGuid().ToString()), 1, "Worker not found (404)");
        Expect.Failure(await shell.RunAsync("leases", "extend", Guid.NewGuid().ToString(), "--hours", "1"), 1, "Lease not found (404)");
        Expect.Failure(await shell.RunAsync("vms", "show", Guid.NewGuid().ToString()), 1, "VM not found (404)");

        // Nothing was created by any of it.
        Assert.Equal(0, Expect.Success(await shell.RunAsync("vms", "list", "--json")).Json()["total"]!.GetValue<int>());
        Assert.Equal(0, Expect.Success(await shell.RunAsync("leases", "list", "--json")).Json()["total"]!.GetValue<int>());
        Assert.Equal(0, Expect.Success(await shell.RunAsync("workers", "list", "--json")).Json()["total"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_wrong_command_line_is_a_usage_error_before_anything_is_sent()
    {
        var (shell, _) = await system.TenantShellAsync();
        using var _shell = shell;
        Expect.Failure(await shell.RunAsync("vms", "show", "not-an-id"), 2, "'not-an-id' is not a VM id");
        Expect.Failure(await shell.RunAsync("vms", "create", "x", "--cpu", "two"), 2, "--cpu must be a whole number, got 'two'");
        Expect.Failure(await shell.RunAsync("leases", "rent", "--hours", "1,5"), 2, "--hours must be a number");
        Expect.Failure(await shell.RunAsync("vms", "list", "--worker", "12"), 2, "--worker must be an id");
        Expect.Failure(await shell.RunAsync("workers", "create", "x", "--label", "novalue"), 2, "--label must be key=value");
        Expect.Failure(await shell.RunAsync("workers", "frobnicate"), 2, "unknown command or argument 'frobnicate'");
        Expect.Failure(await shell.RunAsync("vms", "create"), 2, "Required argument missing");
        Expect.Failure(await shell.RunAsync("vms", "list", "--gateway", "ftp://example"), 2, "not an http:// or https:// URL");
        Expect.Failure(await shell.RunAsync("watch", "--count", "0"), 2, "--count must be at least 1");
        Assert.Equal(0, Expect.Success(await shell.RunAsync("workers", "list", "--json")).Json()["total"]!.GetValue<int>());

        var help = Expect.Success(await shell.RunAsync("leases", "rent", "--help")).Out;
        foreach (var option in new[] { "--count", "--cpu", "--memory", "--disk", "--image", "--hours", "--seconds", "--ssh-key" })
            Assert.Contains(option, help);
    }

    [Fact]
    public async Task An_unreachable_gateway_is_one_line_for_login_and_for_a_signed_in_user_whose_gateway_went_down()
    {
        // Nothing listens there.
        using var nowhere = new Shell($"http://127.0.0.1:{FreePort()}");
        Expect.Failure(await nowhere.RunWithInputAsync("pw\n", "login", "-u", "someone"), 4, "cannot reach the gateway at http://127.0.0.1:", "Connection refused");
        Assert.False(File.Exists(nowhere.CredentialsFile));

        // Signed in through a path to the gateway that then goes down.
        var gateway = new Uri(system.GatewayUrl);
        await using var proxy = new ToggleProxy(gateway.Port);
        var tenant = await Testing.System.Api.NewTenantAsync(system.Gateway());
        using var shell = new Shell($"http://127.0.0.1:{proxy.Port}");
        Expect.Success(await shell.RunWithInputAsync(tenant.Password + "\n", "login", "-u", tenant.Username));
        Expect.Success(await shell.RunAsync("vms", "list"));
        proxy.Down();
        foreach (var command in new[] { new[] { "vms", "list" }, ["workers", "create", "w"], ["cluster", "stats", "--json"], ["watch"] })
            Expect.Failure(await shell.RunAsync(command), 4, $"cannot reach the gateway at http://127.0.0.1:{proxy.Port}");
        proxy.Up();
        Expect.Success(await shell.RunAsync("vms", "list"));
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
