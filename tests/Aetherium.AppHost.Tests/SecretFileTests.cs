using System.Text;
using Aetherium.Hosting;
using Aetherium.Hosting.ApplicationModel;
using Aetherium.Hosting.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Aetherium.AppHost.Tests;

/// <summary>
/// Issue 22, "secrets at rest are private": everything the AppHost writes under its state directory that holds a
/// secret (generated parameters, PostgreSQL's password, the broker's config, the Erlang cookie) is readable by its
/// owner only, in folders only its owner may list or enter.
/// </summary>
public sealed class SecretFileTests(ITestOutputHelper output)
{
    private const UnixFileMode OthersAny = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    [Fact]
    public async Task Every_file_holding_a_secret_under_the_state_directory_is_0600_in_a_0700_folder()
    {
        // A fresh state directory with a private PostgreSQL and RabbitMQ, as `./run.sh` starts them the first time.
        var builder = DistributedApplicationTestingBuilder.Create(new TestingOptions
        {
            Configuration = { ["ConnectionStrings:postgres"] = null, ["ConnectionStrings:messaging"] = null },
        });
        var postgres = builder.AddPostgres("postgres");
        var messaging = builder.AddRabbitMQ("messaging");
        var clientSecret = builder.AddParameter("client-secret", secret: true, generate: true);
        await using var app = builder.Build();
        await app.StartAsync();

        string[] secrets = [postgres.Resource.Password.Value, messaging.Resource.Password.Value, clientSecret.Resource.Value];
        var root = builder.DataDirectory;
        var holding = Directory.EnumerateFiles(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .Where(f => new FileInfo(f).Length < 1 << 20 && (Path.GetFileName(f) == ".erlang.cookie" || Holds(f, secrets)))
            .ToList();
        foreach (var file in holding)
            output.WriteLine($"{Mode(file)} {Path.GetRelativePath(root, file)} in {Mode(Path.GetDirectoryName(file)!)} {Path.GetRelativePath(root, Path.GetDirectoryName(file)!)}/");

        // Each secret was found where it is kept (the search is no vacuous pass), and each is private.
        Assert.Contains(holding, f => f.EndsWith("apphost/parameters.json"));
        Assert.Contains(holding, f => f.EndsWith("postgres/password"));
        Assert.Contains(holding, f => f.EndsWith("messaging/rabbitmq.conf"));
        Assert.Contains(holding, f => f.EndsWith("messaging/home/.erlang.cookie"));
        Assert.All(holding, f =>
        {
            Assert.True((File.GetUnixFileMode(f) & OthersAny) == 0, $"{f} is {Mode(f)}");
            for (var dir = Path.GetDirectoryName(f)!; dir != root; dir = Path.GetDirectoryName(dir)!)
                Assert.True(File.GetUnixFileMode(dir) == PrivateFolder, $"{dir} is {Mode(dir)}");
        });
        // The state directory itself holds no secret, and lets nobody else list it.
        Assert.Equal(UnixFileMode.None, File.GetUnixFileMode(root) & (UnixFileMode.GroupRead | UnixFileMode.OtherRead | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite));
    }

    private const UnixFileMode PrivateFolder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private static bool Holds(string file, string[] secrets)
    {
        try
        {
            var text = Encoding.Latin1.GetString(File.ReadAllBytes(file));
            return secrets.Any(s => text.Contains(s, StringComparison.Ordinal));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { return false; }
    }

    private static string Mode(string path) => Convert.ToString((int)File.GetUnixFileMode(path), 8).PadLeft(4, '0');
}
