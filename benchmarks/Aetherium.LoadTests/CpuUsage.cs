namespace Aetherium.LoadTests;

/// <summary>
/// CPU time used by this process and every process below it (the private PostgreSQL and RabbitMQ it
/// started), from /proc, by program name. On a shared machine wall-clock figures depend on everyone else's
/// load; CPU seconds per unit of work do not, and say what the work costs on a machine of its own.
/// </summary>
public sealed class CpuUsage
{
    private const double TicksPerSecond = 100; // USER_HZ, 100 on Linux
    private readonly Dictionary<string, long> _ticks;

    private CpuUsage(Dictionary<string, long> ticks) => _ticks = ticks;

    public TimeSpan Total => TimeSpan.FromSeconds(_ticks.Values.Sum() / TicksPerSecond);

    public static CpuUsage Now()
    {
        var byProgram = new Dictionary<string, long>();
        if (!Directory.Exists("/proc")) return new CpuUsage(byProgram);
        var parent = new Dictionary<int, int>();
        var processes = new Dictionary<int, (string Name, long Ticks)>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            string stat;
            try { stat = File.ReadAllText(Path.Combine(dir, "stat")); }
            catch (IOException) { continue; }
            catch (UnauthorizedAccessException) { continue; }
            // "pid (name) state ppid ..."; after the name: utime is the 12th field, then stime, cutime, cstime.
            var name = stat[(stat.IndexOf('(') + 1)..stat.LastIndexOf(')')];
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            parent[pid] = int.Parse(fields[1]);
            processes[pid] = (name, long.Parse(fields[11]) + long.Parse(fields[12]) + long.Parse(fields[13]) + long.Parse(fields[14]));
        }
        var root = Environment.ProcessId;
        foreach (var (pid, (name, ticks)) in processes)
        {
            for (var p = pid; p > 1 && parent.ContainsKey(p); p = parent[p])
            {
                if (p != root) continue;
                // PostgreSQL backends rename themselves ("postgres: ..."); RabbitMQ runs in beam.smp.
                var program = pid == root ? "this process" : name.StartsWith("postgres") ? "postgres" : name;
                byProgram[program] = byProgram.GetValueOrDefault(program) + ticks;
                break;
            }
        }
        return new CpuUsage(byProgram);
    }

    /// <summary>What was used since <paramref name="before"/>, largest first: "this process 12.3 s, postgres 4.5 s, ...".</summary>
    public string Since(CpuUsage before) => string.Join(", ", _ticks
        .Select(kv => (kv.Key, Ticks: kv.Value - before._ticks.GetValueOrDefault(kv.Key)))
        .Where(x => x.Ticks > 0).OrderByDescending(x => x.Ticks)
        .Select(x => $"{x.Key} {x.Ticks / TicksPerSecond:0.0} s"));
}
