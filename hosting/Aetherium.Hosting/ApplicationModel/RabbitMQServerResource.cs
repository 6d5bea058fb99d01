namespace Aetherium.Hosting.ApplicationModel;

/// <summary>A RabbitMQ broker: a private child process, or an existing one from <c>ConnectionStrings__{name}</c>.</summary>
public sealed class RabbitMQServerResource(string name, ParameterResource username, ParameterResource password) : Resource(name), IResourceWithConnectionString
{
    public ParameterResource Username { get; } = username;
    public ParameterResource Password { get; } = password;
    public string? ExternalConnectionString { get; set; }
    public string? DataDirectory { get; set; }
    public int Port { get; set; }
    /// <summary>The management plugin: its HTTP API serves queue depths (0: off).</summary>
    public int ManagementPort { get; set; }
    public bool Management { get; set; }

    public bool IsExternal => ExternalConnectionString is not null;

    /// <summary>Aspire's format: <c>amqp://user:pass@localhost:5672</c>.</summary>
    public string GetConnectionString() =>
        ExternalConnectionString ?? $"amqp://{Uri.EscapeDataString(Username.Value)}:{Uri.EscapeDataString(Password.Value)}@localhost:{Port}";
}
