using System.Security.Cryptography;
using System.Text;
using Aetherium.Testing;
using Xunit;

namespace Aetherium.Cli.Tests;

[Collection(CliSystem.Collection)]
public sealed class LeaseTests(CliSystem system)
{
    [Fact]
    public async Task A_tenant_rents_two_VMs_lists_shows_extends_and_releases_the_lease()
    {
        var (shell, _) = await system.TenantShellAsync();
        using var _shell = shell;

        var rented = Expect.Success(await shell.RunAsync("leases", "rent", "--count", "2", "--cpu", "1", "--memory", "256", "--disk", "1",
            "--image", "ubuntu-24.04", "--hours", "1.5", "--name", "batch", "--json")).Json();
        var id = rented["id"]!.GetValue<string>();
        Assert.Equal("active", rented["status"]!.GetValue<string>());
        Assert.Equal(2, rented["vms"]!.AsArray().Count);
        Assert.All(rented["vms"]!.AsArray(), v => Assert.Equal(256, v!["spec"]!["memory_mb"]!.GetValue<int>()));
        var from = rented["leased_from"]!.GetValue<DateTimeOffset>();
        var until = rented["leased_until"]!.GetValue<DateTimeOffset>();
        Assert.Equal(TimeSpan.FromHours(1.5), until - from);
        Assert.All(rented["access"]!.AsArray(), a => Assert.False(string.IsNullOrEmpty(a!["password"]?.GetValue<string>())));

        var placed = await Eventually.GetAsync(async () => Expect.Success(await shell.RunAsync("leases", "show", id, "--json")).Json(),
            l => l["placement"]!.GetValue<string>() == "placed", TimeSpan.FromSeconds(60), "the lease's VMs are placed");
        Assert.Equal(2, placed["vms"]!.AsArray().Count);

        var list = Expect.Success(await shell.RunAsync("leases", "list", "--status", "active", "--json")).Json();
        Assert.Equal(id, Assert.Single(list["leases"]!.AsArray())!["id"]!.GetValue<string>());
        var table = Expect.Success(await shell.RunAsync("leases", "list")).Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^ID\s+NAME\s+STATUS\s+PLACEMENT\s+VMS\s+FROM\s+UNTIL\s+COST$", table[0]);
        Assert.Matches($@"^{id}\s+batch\s+active\s+placed\s+2\s+", table[1]);

        var show = Expect.Success(await shell.RunAsync("leases", "show", id)).Out;
        Assert.Matches(@"Status:\s+active", show);
        Assert.Matches(@"VM\s+NAME\s+STATUS\s+WORKER\s+ACCESS", show);
        Assert.Contains("batch-1", show);
        Assert.Contains("batch-2", show);

        var extended = Expect.Success(await shell.RunAsync("leases", "extend", id, "--seconds", "600", "--json")).Json();
        Assert.Equal(until.AddSeconds(600), extended["new_end_at"]!.GetValue<DateTimeOffset>());
        Assert.Matches($@"^Lease {id} now ends at .*Z \(added ", Expect.Success(await shell.RunAsync("leases", "extend", id, "--hours", "0.5")).Out);
        var later = Expect.Success(await shell.RunAsync("leases", "show", id, "--json")).Json();
        Assert.Equal(until.AddSeconds(600 + 1800), later["leased_until"]!.GetValue<DateTimeOffset>());

        var released = Expect.Success(await shell.RunAsync("leases", "release", id, "--json")).Json();
        Assert.Equal("released", released["status"]!.GetValue<string>());
        Expect.Failure(await shell.RunAsync("leases", "release", id), 1, "Conflict (409)", "released");
        await Eventually.TrueAsync(async () => Expect.Success(await shell.RunAsync("vms", "list", "--json")).Json()["total"]!.GetValue<int>() == 0,
            TimeSpan.FromSeconds(60), "a released lease's VMs are deleted");
    }

    [Fact]
    public async Task Rent_with_an_ssh_key_file_gives_key_access_and_no_password()
    {
        var (shell, _) = await system.TenantShellAsync();
        using var _shell = shell;
        var keyFile = Path.Combine(shell.Home, "id_ed25519.pub");
        await File.WriteAllTextAsync(keyFile, Ed25519PublicKey() + "\n");

        var rented = Expect.Success(await shell.RunAsync("leases", "rent", "--seconds", "30", "--cpu", "1", "--memory", "256", "--disk", "1",
            "--ssh-key", keyFile, "--json")).Json();
        var access = Assert.Single(rented["access"]!.AsArray())!;
        Assert.Null(access["password"]);
        Assert.NotEqual("password", access["auth"]!.GetValue<string>());
        var human = Expect.Success(await shell.RunAsync("leases", "rent", "--seconds", "30", "--cpu", "1", "--memory", "256", "--disk", "1", "--ssh-key", keyFile));
        Assert.DoesNotContain("password", human.Out);
        Assert.Matches(@"Lease:\s+[0-9a-f-]{36}", human.Out);

        // A password lease shows its generated password in the rent answer, once, and says so.
        var withPassword = Expect.Success(await shell.RunAsync("leases", "rent", "--seconds", "30", "--cpu", "1", "--memory", "256", "--disk", "1"));
        Assert.Contains("The password is shown only now", withPassword.Out);
    }

    /// <summary>An OpenSSH ed25519 public key line (wire format: string "ssh-ed25519", string 32-byte key).</summary>
    private static string Ed25519PublicKey()
    {
        static byte[] Field(byte[] value) => [.. BitConverter.GetBytes(value.Length).Reverse(), .. value];
        var blob = Field(Encoding.ASCII.GetBytes("ssh-ed25519")).Concat(Field(RandomNumberGenerator.GetBytes(32))).ToArray();
        return $"ssh-ed25519 {Convert.ToBase64String(blob)} cli-test";
    }
}
