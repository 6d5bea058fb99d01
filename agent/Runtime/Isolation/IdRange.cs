using System.Globalization;

namespace Aetherium.Agent.Runtime.Isolation;

/// <summary>The uids (and gids, the same numbers) handed to VMs, "FIRST-LAST" in settings.</summary>
public readonly record struct IdRange(int First, int Last)
{
    /// <summary>Above the usual login users and the first subordinate-id block of rootless containers (100000–165535).</summary>
    public static readonly IdRange Default = new(200_000, 265_535);

    /// <summary>Below this are the machine's system and login users; a VM never shares one of theirs.</summary>
    public const int Lowest = 1000;

    public int Count => Last - First + 1;

    public bool Contains(int id) => id >= First && id <= Last;

    public override string ToString() => $"{First}-{Last}";

    public static bool TryParse(string? text, out IdRange range, out string? error)
    {
        range = Default;
        error = null;
        var parts = (text ?? "").Split('-', 2, StringSplitOptions.TrimEntries);
        if (parts.Length != 2
            || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var first)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var last))
        {
            error = $"VM user ids must be FIRST-LAST (e.g. {Default}), got \"{text}\"";
            return false;
        }
        if (first < Lowest || last < first || last == int.MaxValue)
        {
            error = $"VM user ids must satisfy {Lowest} <= FIRST <= LAST < {int.MaxValue}, got \"{text}\"";
            return false;
        }
        range = new IdRange(first, last);
        return true;
    }
}
