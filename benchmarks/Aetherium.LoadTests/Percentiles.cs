namespace Aetherium.LoadTests;

/// <summary>Nearest-rank percentiles of a set of durations.</summary>
public sealed class Percentiles(IEnumerable<TimeSpan> values)
{
    private readonly TimeSpan[] _sorted = values.Order().ToArray();

    public int Count => _sorted.Length;
    public TimeSpan Min => _sorted[0];
    public TimeSpan Max => _sorted[^1];

    public TimeSpan At(double percent) =>
        _sorted[Math.Clamp((int)Math.Ceiling(percent / 100 * _sorted.Length) - 1, 0, _sorted.Length - 1)];

    public string Summary() =>
        $"min {Ms(Min)}  p50 {Ms(At(50))}  p90 {Ms(At(90))}  p99 {Ms(At(99))}  max {Ms(Max)}  (n = {Count})";

    public static string Ms(TimeSpan t) => $"{t.TotalMilliseconds:0.0} ms";
}
