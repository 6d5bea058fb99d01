using System.Text.RegularExpressions;
using Aetherium.ServiceDefaults.Http;

namespace Aetherium.Inventory.Workers;

/// <summary>What a valid worker name, zone, label set and role list look like.</summary>
public static partial class WorkerRules
{
    public const string DefaultZone = "default";
    public const int DefaultMaxVms = 100;
    public const int MaxMaxVms = 10_000;
    public const int MaxLabels = 64;
    public static readonly string[] KnownRoles = ["worker", "controller", "proxy", "storage"];

    [GeneratedRegex("^[A-Za-z0-9]([A-Za-z0-9._/-]{0,61}[A-Za-z0-9])?$")]
    public static partial Regex LabelKey();

    [GeneratedRegex("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")]
    public static partial Regex ZoneName();

    public static void CheckName(Validator v, string? name, bool required)
    {
        if (name is null)
        {
            if (required) v.Add("name", "is required");
            return;
        }
        var trimmed = name.Trim();
        v.Require(trimmed.Length is > 0 and <= 100, "name", "must be 1 to 100 characters");
        v.Require(!trimmed.Any(char.IsControl), "name", "must not contain control characters");
    }

    public static void CheckZone(Validator v, string? zone)
    {
        if (zone is not null)
            v.Require(ZoneName().IsMatch(zone), "zone", "must be 1 to 63 lower-case letters, digits or '-' (e.g. us-west-1a)");
    }

    public static void CheckLabels(Validator v, IReadOnlyDictionary<string, string>? labels)
    {
        if (labels is null) return;
        v.Require(labels.Count <= MaxLabels, "labels", $"at most {MaxLabels} labels");
        foreach (var (key, value) in labels)
        {
            if (!LabelKey().IsMatch(key)) v.Add("labels", $"key '{Truncate(key)}' must be 1 to 63 letters, digits, '.', '_', '/' or '-', starting and ending with a letter or digit");
            if (value is null || value.Length > 256) v.Add("labels", $"value of '{Truncate(key)}' must be a string of at most 256 characters");
        }
    }

    public static void CheckRoles(Validator v, IReadOnlyList<string>? roles)
    {
        if (roles is null) return;
        v.Require(roles.Count is > 0 and <= 4, "role", "must list 1 to 4 roles");
        foreach (var r in roles)
            if (!KnownRoles.Contains(r)) v.Add("role", $"'{Truncate(r ?? "")}' is not one of {string.Join(", ", KnownRoles)}");
    }

    public static void CheckMaxVms(Validator v, int? maxVms)
    {
        if (maxVms is not null) v.Require(maxVms is >= 1 and <= MaxMaxVms, "max_vms", $"must be between 1 and {MaxMaxVms}");
    }

    private static string Truncate(string s) => s.Length <= 40 ? s : s[..40] + "…";
}
