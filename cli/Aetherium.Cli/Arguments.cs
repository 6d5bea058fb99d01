using System.CommandLine;

namespace Aetherium.Cli;

/// <summary>Arguments and options several commands share, with their checks done while parsing.</summary>
public static class Arguments
{
    public static Argument<Guid> Id(string what, string name = "id") => new(name)
    {
        Description = $"The {what}'s id",
        CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
            if (Guid.TryParse(text, out var id)) return id;
            result.AddError($"'{text}' is not a {what} id (ids look like 0b5a6c3e-8f1d-4d2a-9c7e-2f4b1a6d9e30)");
            return Guid.Empty;
        },
    };

    /// <summary>
    /// An optional number (or id) option whose bad value is named plainly ("--cpu must be a whole number,
    /// got 'abc'") instead of by the .NET type it failed to parse as.
    /// </summary>
    public static Option<T?> Value<T>(string name, string description) where T : struct, IParsable<T> => new(name)
    {
        Description = description,
        CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
            if (TryParse<T>(text, out var value)) return value;
            result.AddError($"{name} must be {Kind<T>()}, got '{text}'");
            return null;
        },
    };

    /// <summary>Invariant, and without thousands separators: "1,5" must not become 15 hours.</summary>
    private static bool TryParse<T>(string text, out T value) where T : struct, IParsable<T>
    {
        var invariant = System.Globalization.CultureInfo.InvariantCulture;
        if (typeof(T) == typeof(decimal))
        {
            var ok = decimal.TryParse(text, System.Globalization.NumberStyles.Float, invariant, out var d);
            value = (T)(object)d;
            return ok;
        }
        return T.TryParse(text, invariant, out value);
    }

    private static string Kind<T>() => typeof(T) == typeof(Guid) ? "an id (a GUID)"
        : typeof(T) == typeof(decimal) ? "a number (fractions allowed)"
        : "a whole number";

    /// <summary>--label key=value, repeatable; a value without '=' is a usage error.</summary>
    public static Option<string[]> Labels(string description)
    {
        var option = new Option<string[]>("--label") { Description = description + " (key=value, repeatable)", AllowMultipleArgumentsPerToken = false };
        option.Validators.Add(result =>
        {
            foreach (var token in result.Tokens)
                if (token.Value.IndexOf('=') <= 0)
                    result.AddError($"--label must be key=value, got '{token.Value}'");
        });
        return option;
    }

    public static Dictionary<string, string>? LabelMap(string[]? labels) =>
        labels is null or { Length: 0 } ? null : labels.Select(l => l.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);

    /// <summary>"?a=1&amp;b=2" from the given pairs, leaving out those without a value.</summary>
    public static string Query(params (string Name, object? Value)[] pairs)
    {
        var given = pairs.Where(p => p.Value is not null && p.Value.ToString() is { Length: > 0 })
            .Select(p => $"{p.Name}={Uri.EscapeDataString(Convert.ToString(p.Value, System.Globalization.CultureInfo.InvariantCulture)!)}")
            .ToList();
        return given.Count == 0 ? "" : "?" + string.Join('&', given);
    }
}
