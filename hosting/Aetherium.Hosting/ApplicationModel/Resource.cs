namespace Aetherium.Hosting.ApplicationModel;

/// <summary>
/// A thing the AppHost runs or points at (Aspire's IResource): a PostgreSQL server, one of its
/// databases, a RabbitMQ broker, a project, a parameter. The model is declared once, in code, and is
/// what the launcher runs, the tests start, and the Kubernetes publisher renders.
/// </summary>
public abstract class Resource(string name)
{
    public string Name { get; } = ValidateName(name);

    /// <summary>Resources that must be healthy before this one starts (Aspire's WaitFor).</summary>
    public List<Resource> WaitsFor { get; } = [];

    /// <summary>Resources this one is wired to (connection strings, service discovery).</summary>
    public List<Resource> References { get; } = [];

    /// <summary>Environment given to the resource, evaluated when it starts (ports are known by then).</summary>
    public Dictionary<string, ValueSource> Environment { get; } = new(StringComparer.Ordinal);

    /// <summary>The resource this one lives inside (a database's server), if any.</summary>
    public virtual Resource? Parent => null;

    public override string ToString() => Name;

    private static string ValidateName(string name)
    {
        if (string.IsNullOrWhiteSpace(name) || !name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
            throw new ArgumentException($"Resource name '{name}' must be lower-case letters, digits and '-'.", nameof(name));
        return name;
    }
}

/// <summary>A resource others reach through a connection string (<c>ConnectionStrings__{ConnectionName}</c>).</summary>
public interface IResourceWithConnectionString
{
    string Name { get; }
    string ConnectionName => Name;
    string GetConnectionString();
}

/// <summary>
/// A value known only at start time (a port, a generated password, another resource's URL), possibly
/// different per target (this machine, Kubernetes). Secret values are masked wherever the AppHost shows
/// an environment, and go into a Secret, not a ConfigMap, when published.
/// </summary>
public sealed class ValueSource
{
    private readonly Func<Orchestration.IAddressing?, string> _value;

    public ValueSource(Func<string> value, bool secret = false) : this(_ => value(), secret) { }

    public ValueSource(Func<Orchestration.IAddressing?, string> value, bool secret = false)
    {
        _value = value;
        IsSecret = secret;
    }

    public bool IsSecret { get; }
    public string Resolve(Orchestration.IAddressing? addressing = null) => _value(addressing);

    /// <summary>This value as seen from <paramref name="addressing"/>'s target.</summary>
    public ValueSource Bind(Orchestration.IAddressing addressing) => new(() => _value(addressing), IsSecret);

    public static implicit operator ValueSource(string value) => new(() => value);
}
