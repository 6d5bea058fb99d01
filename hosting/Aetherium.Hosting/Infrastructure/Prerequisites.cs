namespace Aetherium.Hosting.Infrastructure;

/// <summary>Finds the server binaries, or says in one line how to install them.</summary>
public static class Prerequisites
{
    /// <summary>AETHERIUM_PG_BIN names another directory of PostgreSQL server binaries.</summary>
    public static string PostgresBin =>
        (Environment.GetEnvironmentVariable("AETHERIUM_PG_BIN") is { Length: > 0 } dir ? [dir]
            : new[] { "/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/17/bin" })
            .FirstOrDefault(d => File.Exists(Path.Combine(d, "postgres")))
          ?? throw new PrerequisiteMissingException(
              "PostgreSQL server binaries not found (looked in AETHERIUM_PG_BIN or /usr/lib/postgresql/{15,16,17}/bin): install them with `sudo apt-get install -y postgresql` or set ConnectionStrings__postgres to an existing server.");

    public static string RabbitMqServer =>
        File.Exists("/usr/lib/rabbitmq/bin/rabbitmq-server") ? "/usr/lib/rabbitmq/bin/rabbitmq-server"
        : throw new PrerequisiteMissingException(
            "RabbitMQ not found (/usr/lib/rabbitmq/bin/rabbitmq-server): install it with `sudo apt-get update && sudo apt-get install -y rabbitmq-server` or set ConnectionStrings__messaging to an existing broker.");

    public static string Setpriv =>
        new[] { "/usr/bin/setpriv", "/bin/setpriv" }.FirstOrDefault(File.Exists)
        ?? throw new PrerequisiteMissingException("setpriv not found: install it with `sudo apt-get install -y util-linux`.");

    public static string Epmd =>
        new[] { "/usr/bin/epmd" }.Concat(Directory.Exists("/usr/lib/erlang")
                ? Directory.GetDirectories("/usr/lib/erlang", "erts-*").Select(d => Path.Combine(d, "bin", "epmd"))
                : [])
            .FirstOrDefault(File.Exists)
        ?? throw new PrerequisiteMissingException("Erlang's epmd not found: install RabbitMQ with `sudo apt-get install -y rabbitmq-server`.");
}

public sealed class PrerequisiteMissingException(string message) : Exception(message);
