using System.Globalization;

namespace Aetherium.Agent.Facts;

/// <summary>Cumulative CPU time from the first line of /proc/stat, in clock ticks.</summary>
public readonly record struct CpuTimes(ulong Busy, ulong Total)
{
    /// <summary>Share of the time between two samples that the CPUs were busy, 0–100.</summary>
    public static double UsagePercent(CpuTimes before, CpuTimes after)
    {
        if (after.Total <= before.Total) return 0;
        var busy = after.Busy >= before.Busy ? after.Busy - before.Busy : 0;
        return Math.Clamp(100.0 * busy / (after.Total - before.Total), 0, 100);
    }
}

public readonly record struct MemoryInfo(long TotalKb, long AvailableKb)
{
    public double UsagePercent => TotalKb <= 0 ? 0 : Math.Clamp(100.0 * (TotalKb - AvailableKb) / TotalKb, 0, 100);
}

/// <summary>Pure parsers of the kernel's text files, so they can be tested with canned text as well as the real files.</summary>
public static class ProcParsers
{
    /// <summary>/proc/cpuinfo: the number of logical processors and the model name.</summary>
    public static (int Processors, string Model) ParseCpuInfo(string text)
    {
        var processors = 0;
        string? model = null;
        foreach (var line in text.AsSpan().EnumerateLines())
        {
            var colon = line.IndexOf(':');
            if (colon < 0) continue;
            var key = line[..colon].Trim();
            var value = line[(colon + 1)..].Trim();
            if (key.SequenceEqual("processor")) processors++;
            // x86 says "model name"; some ARM kernels only "Hardware" or "Processor".
            else if (model is null && (key.SequenceEqual("model name") || key.SequenceEqual("Hardware") || key.SequenceEqual("Processor")))
                model = value.ToString();
        }
        return (processors, string.IsNullOrWhiteSpace(model) ? "unknown" : model);
    }

    /// <summary>/proc/meminfo: MemTotal and MemAvailable (kB).</summary>
    public static MemoryInfo ParseMemInfo(string text)
    {
        long total = 0, available = -1, free = 0;
        foreach (var line in text.AsSpan().EnumerateLines())
        {
            if (line.StartsWith("MemTotal:")) total = KbValue(line);
            else if (line.StartsWith("MemAvailable:")) available = KbValue(line);
            else if (line.StartsWith("MemFree:")) free = KbValue(line);
        }
        // Kernels before 3.14 have no MemAvailable; MemFree is the honest lower bound then.
        return new MemoryInfo(total, available >= 0 ? available : free);
    }

    private static long KbValue(ReadOnlySpan<char> line)
    {
        var rest = line[(line.IndexOf(':') + 1)..].Trim();
        var space = rest.IndexOf(' ');
        return long.Parse(space < 0 ? rest : rest[..space], CultureInfo.InvariantCulture);
    }

    /// <summary>/proc/stat first line: "cpu user nice system idle iowait irq softirq steal guest guest_nice".</summary>
    public static CpuTimes ParseStat(string text)
    {
        foreach (var line in text.AsSpan().EnumerateLines())
        {
            if (!line.StartsWith("cpu ")) continue;
            ulong total = 0, idle = 0;
            var i = 0;
            foreach (var range in line[4..].Split(' '))
            {
                var field = line[4..][range];
                if (field.IsEmpty) continue;
                var value = ulong.Parse(field, CultureInfo.InvariantCulture);
                // guest and guest_nice (fields 8, 9) are already counted in user and nice.
                if (i < 8) total += value;
                if (i is 3 or 4) idle += value; // idle + iowait
                i++;
            }
            return new CpuTimes(total - idle, total);
        }
        throw new FormatException("/proc/stat has no aggregate cpu line");
    }

    /// <summary>/proc/net/dev: bytes received and sent over every interface except loopback.</summary>
    public static (long BytesIn, long BytesOut) ParseNetDev(string text)
    {
        long rx = 0, tx = 0;
        Span<Range> fields = stackalloc Range[17];
        foreach (var line in text.AsSpan().EnumerateLines())
        {
            var colon = line.IndexOf(':');
            if (colon < 0) continue;
            var name = line[..colon].Trim();
            if (name.SequenceEqual("lo")) continue;
            var rest = line[(colon + 1)..];
            var count = rest.Split(fields, ' ', StringSplitOptions.RemoveEmptyEntries);
            if (count < 9) continue;
            rx += long.Parse(rest[fields[0]], CultureInfo.InvariantCulture);
            tx += long.Parse(rest[fields[8]], CultureInfo.InvariantCulture);
        }
        return (rx, tx);
    }

    /// <summary>/etc/os-release: PRETTY_NAME, else NAME VERSION.</summary>
    public static string ParseOsRelease(string text)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            var eq = line.IndexOf('=');
            if (eq <= 0 || line.StartsWith('#')) continue;
            values[line[..eq]] = line[(eq + 1)..].Trim('"', '\'');
        }
        if (values.TryGetValue("PRETTY_NAME", out var pretty) && pretty.Length > 0) return pretty;
        var name = values.GetValueOrDefault("NAME", "Linux");
        return values.TryGetValue("VERSION", out var version) ? $"{name} {version}" : name;
    }

    /// <summary>/proc/uptime: seconds since boot.</summary>
    public static long ParseUptime(string text)
    {
        var first = text.AsSpan().Trim();
        var space = first.IndexOf(' ');
        return (long)double.Parse(space < 0 ? first : first[..space], CultureInfo.InvariantCulture);
    }

    /// <summary>/proc/loadavg: the 1, 5 and 15 minute load averages.</summary>
    public static double[] ParseLoadAverage(string text)
    {
        var parts = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return parts.Take(3).Select(p => double.Parse(p, CultureInfo.InvariantCulture)).ToArray();
    }

    /// <summary>/proc/net/route: the interface that holds the default route (destination 00000000), if any.</summary>
    public static string? ParseDefaultRouteInterface(string text)
    {
        foreach (var line in text.Split('\n').Skip(1))
        {
            var fields = line.Split('\t', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (fields.Length > 2 && fields[1] == "00000000") return fields[0];
        }
        return null;
    }
}
