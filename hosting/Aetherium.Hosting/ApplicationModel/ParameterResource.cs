using System.Security.Cryptography;

namespace Aetherium.Hosting.ApplicationModel;

/// <summary>
/// A value the user may set (configuration <c>Parameters:{name}</c>, env <c>Parameters__{name}</c>, as
/// Aspire reads parameters). A parameter without a value either has a default or is generated once and
/// kept in the AppHost's state directory, so passwords survive restarts (Aspire keeps them in user secrets).
/// </summary>
public sealed class ParameterResource : Resource
{
    private readonly Lazy<string> _value;

    internal ParameterResource(string name, bool secret, Func<string> resolve, bool announce = false) : base(name)
    {
        IsSecret = secret;
        Announce = announce;
        _value = new Lazy<string>(resolve);
    }

    public bool IsSecret { get; }
    /// <summary>Printed by the launcher when generated (the first admin's password), so the user can sign in.</summary>
    public bool Announce { get; init; }
    /// <summary>True when the value was generated in this run (the launcher prints it once).</summary>
    public bool WasGenerated { get; internal set; }
    public string Value => _value.Value;

    public ValueSource AsValue() => new(() => Value, IsSecret);

    /// <summary>A password safe in URIs and connection strings: 24 hex characters.</summary>
    public static string GeneratePassword() => Convert.ToHexString(RandomNumberGenerator.GetBytes(12)).ToLowerInvariant();
}
