using Npgsql;

namespace Aetherium.Hosting.ApplicationModel;

/// <summary>
/// A PostgreSQL server: a private child process of the AppHost, or an existing server when
/// <c>ConnectionStrings__{name}</c> is configured (Aspire's AddConnectionString).
/// </summary>
public sealed class PostgresServerResource(string name, ParameterResource password) : Resource(name), IResourceWithConnectionString
{
    public ParameterResource Password { get; } = password;
    public string Username => "postgres";
    /// <summary>Connection string of an existing server to use instead of starting one.</summary>
    public string? ExternalConnectionString { get; set; }
    public string? DataDirectory { get; set; }
    public int Port { get; set; }
    public List<PostgresDatabaseResource> Databases { get; } = [];

    public bool IsExternal => ExternalConnectionString is not null;

    /// <summary>Aspire's format: <c>Host=localhost;Port=5432;Username=postgres;Password=...</c>.</summary>
    public string GetConnectionString() =>
        ExternalConnectionString ?? $"Host=localhost;Port={Port};Username={Username};Password={Password.Value}";
}

/// <summary>One database of a server; its connection string adds <c>Database=</c> to the server's.</summary>
public sealed class PostgresDatabaseResource(string name, string databaseName, PostgresServerResource server) : Resource(name), IResourceWithConnectionString
{
    public PostgresServerResource Server { get; } = server;
    /// <summary>The real name; tests give each run its own (a suffix) on a shared server.</summary>
    public string DatabaseName { get; set; } = databaseName;
    public override Resource Parent => Server;

    public string GetConnectionString()
    {
        if (!Server.IsExternal) return $"{Server.GetConnectionString()};Database={DatabaseName}";
        return new NpgsqlConnectionStringBuilder(Server.ExternalConnectionString) { Database = DatabaseName }.ConnectionString;
    }
}
