using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace Aetherium.Hosting.Infrastructure;

public sealed record RabbitMqOptions
{
    /// <summary>Node directory (Mnesia, logs, cookie). Null: a temporary directory removed on dispose.</summary>
    public string? Directory { get; init; }
    public int? Port { get; init; }
    /// <summary>The management plugin: HTTP API for virtual hosts and queue depths (adds ~1 s to start).</summary>
    public bool Management { get; init; } = true;
    public string Username { get; init; } = "aetherium";
    public string? Password { get; init; }
    public int? ManagementPort { get; init; }
}

/// <summary>
/// A private RabbitMQ node as a child process, with its own epmd (LOCAL-INFRA.md): everything under its
/// own directory, loopback only, stopped with SIGTERM (SIGKILL would orphan beam), dies with us.
/// </summary>
public sealed class RabbitMqServer : IAsyncDisposable
{
    private readonly Process _server;
    private readonly Process _epmd;
    private readonly string _directory;
    private readonly bool _temporary;

    private RabbitMqServer(Process server, Process epmd, string directory, bool temporary, int port, int? managementPort, string user, string password)
    {
        _server = server;
        _epmd = epmd;
        _directory = directory;
        _temporary = temporary;
        Port = port;
        ManagementPort = managementPort;
        Username = user;
        Password = password;
    }

    public int Port { get; }
    public int? ManagementPort { get; }
    public string Username { get; }
    public string Password { get; }
    public int ProcessId => _server.Id;
    public bool HasExited => _server.HasExited;
    public Task Exited => _server.WaitForExitAsync();

    /// <summary>AMQP URI, as Aspire's RabbitMQ resource writes it (<c>amqp://user:pass@host:port</c>).</summary>
    public string ConnectionString(string? virtualHost = null) => AmqpUri(Username, Password, Port, virtualHost);

    public static string AmqpUri(string user, string password, int port, string? virtualHost = null) =>
        $"amqp://{Uri.EscapeDataString(user)}:{Uri.EscapeDataString(password)}@127.0.0.1:{port}" +
        (virtualHost is null ? "" : "/" + Uri.EscapeDataString(virtualHost));

    public static async Task<RabbitMqServer> StartAsync(RabbitMqOptions options, Action<string>? log = null, CancellationToken ct = default)
    {
        var launcher = Prerequisites.RabbitMqServer;
        var epmdBin = Prerequisites.Epmd;
        var temporary = options.Directory is null;
        var dir = options.Directory ?? Path.Combine(Path.GetTempPath(), $"aetherium-mq-{Environment.ProcessId}-{Guid.NewGuid():N}"[..40]);
        // rabbitmq.conf holds the broker's password and home/ the Erlang cookie: 0600 files in 0700 folders.
        PrivateFiles.CreateDirectory(dir);
        PrivateFiles.CreateDirectory(Path.Combine(dir, "home"));
        var port = options.Port ?? Ports.Free();
        var distPort = Ports.Free();
        var epmdPort = Ports.Free();
        int? mgmtPort = options.Management ? options.ManagementPort ?? Ports.Free() : null;
        var password = options.Password ?? Convert.ToHexString(RandomNumberGenerator.GetBytes(12)).ToLowerInvariant();

        var conf = new StringBuilder()
            .AppendLine($"listeners.tcp.default = 127.0.0.1:{port}")
            .AppendLine("loopback_users = none")
            .AppendLine($"default_user = {options.Username}")
            .AppendLine($"default_pass = {password}");
        if (mgmtPort is int mp)
            conf.AppendLine("management.tcp.ip = 127.0.0.1").AppendLine($"management.tcp.port = {mp}");
        await PrivateFiles.WriteAllTextAsync(Path.Combine(dir, "rabbitmq.conf"), conf.ToString(), ct);
        await File.WriteAllTextAsync(Path.Combine(dir, "enabled_plugins"), options.Management ? "[rabbitmq_management]." : "[].", ct);
        await File.WriteAllTextAsync(Path.Combine(dir, "rabbitmq-env.conf"), "", ct);

        var env = new Dictionary<string, string?>
        {
            ["HOME"] = Path.Combine(dir, "home"),
            // A kept directory keeps its node name (Mnesia lives under it); a temporary one may not collide.
            ["RABBITMQ_NODENAME"] = temporary ? $"aetherium{port}@localhost" : "aetherium@localhost",
            ["RABBITMQ_NODE_IP_ADDRESS"] = "127.0.0.1",
            ["RABBITMQ_NODE_PORT"] = port.ToString(),
            ["RABBITMQ_DIST_PORT"] = distPort.ToString(),
            ["ERL_EPMD_PORT"] = epmdPort.ToString(),
            ["ERL_EPMD_ADDRESS"] = "127.0.0.1",
            ["RABBITMQ_CONF_ENV_FILE"] = Path.Combine(dir, "rabbitmq-env.conf"),
            ["RABBITMQ_CONFIG_FILE"] = Path.Combine(dir, "rabbitmq.conf"),
            ["RABBITMQ_ENABLED_PLUGINS_FILE"] = Path.Combine(dir, "enabled_plugins"),
            ["RABBITMQ_MNESIA_BASE"] = Path.Combine(dir, "mnesia"),
            ["RABBITMQ_LOG_BASE"] = Path.Combine(dir, "log"),
            ["RABBITMQ_PLUGINS_EXPAND_DIR"] = Path.Combine(dir, "plugins-expand"),
            ["ERL_CRASH_DUMP"] = Path.Combine(dir, "erl_crash.dump"),
            ["RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"] = "-kernel inet_dist_use_interface {127,0,0,1}",
        };

        // Our own epmd in the foreground: one started by the node would daemonise and outlive everything.
        var epmd = await ChildProcess.StartAsync(epmdBin, ["-port", epmdPort.ToString(), "-address", "127.0.0.1"],
            workingDirectory: dir, environment: env, onOutput: l => log?.Invoke("epmd: " + l));
        var tail = new LogTail(60);
        var server = await ChildProcess.StartAsync(launcher, [], workingDirectory: dir, environment: env,
            onOutput: l => { tail.Add(l); log?.Invoke(l); });
        var node = new RabbitMqServer(server, epmd, dir, temporary, port, mgmtPort, options.Username, password);
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (!await node.IsReadyAsync(ct))
            {
                if (server.HasExited || tail.Contains("BOOT FAILED"))
                    throw new InvalidOperationException($"RabbitMQ failed to start (exit code {(server.HasExited ? server.ExitCode : -1)}):\n{tail}");
                if (DateTime.UtcNow > deadline) throw new TimeoutException($"RabbitMQ not ready after 60 s:\n{tail}");
                await Task.Delay(100, ct);
            }
        }
        catch
        {
            await node.DisposeAsync();
            throw;
        }
        return node;
    }

    /// <summary>Ready when the port answers the AMQP 0-9-1 protocol header with a frame (first byte 0x01).</summary>
    public Task<bool> IsReadyAsync(CancellationToken ct = default) => IsAmqpReadyAsync(Port, ct);

    public static Task<bool> IsAmqpReadyAsync(int port, CancellationToken ct = default) => IsAmqpReadyAsync("127.0.0.1", port, ct);

    public static async Task<bool> IsAmqpReadyAsync(string host, int port, CancellationToken ct = default)
    {
        try
        {
            using var client = new TcpClient();
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(2000);
            await client.ConnectAsync(host, port, timeout.Token);
            var stream = client.GetStream();
            await stream.WriteAsync("AMQP\0\0\x09\x01"u8.ToArray(), timeout.Token);
            var buffer = new byte[1];
            var n = await stream.ReadAsync(buffer, timeout.Token);
            return n == 1 && buffer[0] == 0x01;
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException) { return false; }
    }

    /// <summary>Creates a virtual host with full permissions for our user; returns its AMQP URI.</summary>
    public async Task<string> CreateVirtualHostAsync(string name, CancellationToken ct = default)
    {
        if (ManagementPort is not int mp) throw new InvalidOperationException("The management plugin is off; virtual hosts cannot be created.");
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{mp}/") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Username}:{Password}")));
        var vhost = Uri.EscapeDataString(name);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                (await http.PutAsync($"api/vhosts/{vhost}", null, ct)).EnsureSuccessStatusCode();
                break;
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(200, ct); // the management listener comes up a moment after AMQP
            }
        }
        var perms = new StringContent("""{"configure":".*","write":".*","read":".*"}""", Encoding.UTF8, "application/json");
        (await http.PutAsync($"api/permissions/{vhost}/{Uri.EscapeDataString(Username)}", perms, ct)).EnsureSuccessStatusCode();
        return ConnectionString(name);
    }

    public async ValueTask DisposeAsync()
    {
        // SIGTERM to the launcher shell is forwarded to beam, which stops cleanly; kill only as a fallback.
        await ChildProcess.StopAsync(_server, ChildProcess.SIGTERM, TimeSpan.FromSeconds(20));
        await ChildProcess.StopAsync(_epmd, ChildProcess.SIGTERM, TimeSpan.FromSeconds(5));
        if (_temporary)
        {
            try { System.IO.Directory.Delete(_directory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
