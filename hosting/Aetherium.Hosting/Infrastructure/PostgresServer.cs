using System.Diagnostics;
using System.Security.Cryptography;
using Npgsql;

namespace Aetherium.Hosting.Infrastructure;

public sealed record PostgresOptions
{
    /// <summary>Where the cluster lives; created (initdb) when empty. Null: a fresh temporary directory, removed on dispose.</summary>
    public string? DataDirectory { get; init; }
    public int? Port { get; init; }
    /// <summary>fsync/synchronous_commit/full_page_writes off: for throwaway dev and test clusters only.</summary>
    public bool Durable { get; init; }
    public int MaxConnections { get; init; } = 400;
    /// <summary>The postgres role's password: set at initdb, and changed to it on a later start if it differs.</summary>
    public string? Password { get; init; }
}

/// <summary>
/// A private PostgreSQL server as a child process (LOCAL-INFRA.md): initdb as the postgres user,
/// TCP on loopback only, dies with us (pdeathsig INT = fast shutdown), stopped with SIGINT.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly bool _temporary;

    private PostgresServer(Process process, string dataDirectory, int port, string password, bool temporary)
    {
        _process = process;
        DataDirectory = dataDirectory;
        Port = port;
        Password = password;
        _temporary = temporary;
    }

    public string DataDirectory { get; }
    public int Port { get; }
    public string Password { get; }
    public int ProcessId => _process.Id;
    public bool HasExited => _process.HasExited;
    public Task Exited => _process.WaitForExitAsync();

    /// <summary>Npgsql connection string, as Aspire's Postgres resource writes it.</summary>
    public string ConnectionString(string? database = null) =>
        $"Host=127.0.0.1;Port={Port};Username=postgres;Password={Password}" + (database is null ? "" : $";Database={database}");

    public static async Task<PostgresServer> StartAsync(PostgresOptions options, Action<string>? log = null, CancellationToken ct = default)
    {
        var bin = Prerequisites.PostgresBin;
        var temporary = options.DataDirectory is null;
        var root = options.DataDirectory ?? Path.Combine(Path.GetTempPath(), $"aetherium-pg-{Environment.ProcessId}-{Guid.NewGuid():N}"[..40]);
        var data = Path.Combine(root, "data");
        var passwordFile = Path.Combine(root, "password");
        PrivateFiles.CreateDirectory(root);

        string password;
        if (!File.Exists(Path.Combine(data, "PG_VERSION")))
        {
            password = options.Password ?? Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant();
            await PrivateFiles.WriteAllTextAsync(passwordFile, password, ct);
            PrivateFiles.CreateDirectory(data);
            await ChownAsync(root);
            var init = await ChildProcess.StartAsync(Path.Combine(bin, "initdb"),
                ["-D", data, "-U", "postgres", $"--pwfile={passwordFile}", "--auth-local=trust", "--auth-host=scram-sha-256",
                 "-E", "UTF8", "--locale=C.UTF-8", "-N"],
                workingDirectory: root, runAs: "postgres", onOutput: l => log?.Invoke(l));
            await init.WaitForExitAsync(ct);
            if (init.ExitCode != 0) throw new InvalidOperationException($"initdb failed with exit code {init.ExitCode} in {data}");
        }
        else
        {
            password = (await File.ReadAllTextAsync(passwordFile, ct)).Trim();
        }

        var port = options.Port ?? Ports.Free();
        List<string> args = ["-D", data, "-p", port.ToString(), "-k", "", "-c", "listen_addresses=127.0.0.1",
            "-c", $"max_connections={options.MaxConnections}"];
        if (!options.Durable)
            args.AddRange(["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]);
        var tail = new LogTail(40);
        var process = await ChildProcess.StartAsync(Path.Combine(bin, "postgres"), args, workingDirectory: root,
            deathSignal: "INT", runAs: "postgres", onOutput: l => { tail.Add(l); log?.Invoke(l); });
        var server = new PostgresServer(process, data, port, password, temporary);
        try
        {
            await server.WaitReadyAsync(TimeSpan.FromSeconds(30), tail, ct);
            if (options.Password is { } wanted && wanted != password)
            {
                await server.ChangePasswordAsync(wanted, ct);
                await PrivateFiles.WriteAllTextAsync(passwordFile, wanted, ct);
                server = new PostgresServer(process, data, port, wanted, temporary);
            }
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        return server;
    }

    private async Task ChangePasswordAsync(string password, CancellationToken ct)
    {
        await using var c = new NpgsqlConnection(ConnectionString("postgres") + ";Pooling=false");
        await c.OpenAsync(ct);
        // ALTER ROLE takes no parameters; the literal is quoted by doubling single quotes.
        await using var alter = new NpgsqlCommand($"ALTER ROLE postgres PASSWORD '{password.Replace("'", "''")}'", c);
        await alter.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// Whether the server's user (postgres, when we run as root) can reach <paramref name="directory"/>:
    /// a data directory under a home that is closed to others (/root) cannot be used.
    /// </summary>
    public static bool IsReachableByServerUser(string directory)
    {
        if (!ChildProcess.IsRoot) return true;
        var existing = new DirectoryInfo(directory);
        while (existing is not null && !existing.Exists) existing = existing.Parent;
        if (existing is null) return false;
        using var p = Process.Start(new ProcessStartInfo("setpriv", ["--reuid=postgres", "--regid=postgres", "--init-groups", "--", "test", "-x", existing.FullName])
        {
            UseShellExecute = false,
        })!;
        p.WaitForExit();
        return p.ExitCode == 0;
    }

    private async Task WaitReadyAsync(TimeSpan timeout, LogTail tail, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"PostgreSQL exited during start-up (code {_process.ExitCode}):\n{tail}");
            if (await IsReadyAsync(ct)) return;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"PostgreSQL not ready after {timeout.TotalSeconds} s:\n{tail}");
            await Task.Delay(50, ct);
        }
    }

    public async Task<bool> IsReadyAsync(CancellationToken ct = default)
    {
        try
        {
            await using var c = new NpgsqlConnection(ConnectionString("postgres") + ";Pooling=false;Timeout=2");
            await c.OpenAsync(ct);
            return true;
        }
        catch (Exception ex) when (ex is NpgsqlException or System.Net.Sockets.SocketException or TimeoutException) { return false; }
    }

    /// <summary>Creates the database unless it exists (Aspire's AddDatabase does the same at start).</summary>
    public Task CreateDatabaseAsync(string name, CancellationToken ct = default) => CreateDatabaseAsync(ConnectionString("postgres"), name, ct);

    public static async Task CreateDatabaseAsync(string serverConnectionString, string name, CancellationToken ct = default)
    {
        var b = new NpgsqlConnectionStringBuilder(serverConnectionString) { Database = "postgres", Pooling = false };
        await using var c = new NpgsqlConnection(b.ConnectionString);
        await c.OpenAsync(ct);
        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = @n", c);
        exists.Parameters.AddWithValue("n", name);
        if (await exists.ExecuteScalarAsync(ct) is not null) return;
        var quoted = "\"" + name.Replace("\"", "\"\"") + "\"";
        try
        {
            await using var create = new NpgsqlCommand($"CREATE DATABASE {quoted}", c);
            await create.ExecuteNonQueryAsync(ct);
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.DuplicateDatabase or PostgresErrorCodes.UniqueViolation) { }
    }

    /// <summary>SIGINT: PostgreSQL's fast shutdown.</summary>
    public async ValueTask DisposeAsync()
    {
        await ChildProcess.StopAsync(_process, ChildProcess.SIGINT, TimeSpan.FromSeconds(15));
        if (_temporary)
        {
            try { Directory.Delete(Path.GetDirectoryName(DataDirectory)!, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static async Task ChownAsync(string dir)
    {
        if (!ChildProcess.IsRoot) return;
        using var p = Process.Start("chown", ["-R", "postgres:postgres", dir])!;
        await p.WaitForExitAsync();
        if (p.ExitCode != 0) throw new InvalidOperationException($"chown postgres {dir} failed");
    }
}

/// <summary>The last lines a process printed, for error messages.</summary>
public sealed class LogTail(int capacity)
{
    private readonly Queue<string> _lines = new();

    public void Add(string line)
    {
        lock (_lines)
        {
            _lines.Enqueue(line);
            while (_lines.Count > capacity) _lines.Dequeue();
        }
    }

    public bool Contains(string text)
    {
        lock (_lines) return _lines.Any(l => l.Contains(text, StringComparison.Ordinal));
    }

    public override string ToString()
    {
        lock (_lines) return string.Join('\n', _lines);
    }
}
