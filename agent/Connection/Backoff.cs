namespace Aetherium.Agent.Connection;

/// <summary>
/// Reconnect delays (DESIGN §6): 1 s doubling to 60 s, with jitter so a fleet that lost the
/// controller together does not come back together. The jitter only shortens a delay, to between
/// 75 % and 100 % of the nominal one, so the 60 s ceiling holds and no delay is ever under 0.75 s.
/// </summary>
public static class Backoff
{
    public static readonly TimeSpan Initial = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan Max = TimeSpan.FromSeconds(60);
    public const double JitterShare = 0.25;

    /// <summary>The nominal delay before reconnect attempt <paramref name="attempt"/> (0 = the first retry).</summary>
    public static TimeSpan Nominal(int attempt) =>
        attempt >= 6 ? Max : TimeSpan.FromTicks(Math.Min(Max.Ticks, Initial.Ticks << Math.Max(0, attempt)));

    /// <param name="jitter">a uniform sample in [0, 1): 0 keeps the nominal delay, towards 1 it shortens it by up to a quarter</param>
    public static TimeSpan Delay(int attempt, double jitter) => Jittered(Nominal(attempt), jitter);

    /// <summary>After a refusal that retrying soon cannot fix (revoked or expired token, unknown worker).</summary>
    public static TimeSpan Rejected(double jitter) => Jittered(Max, jitter);

    private static TimeSpan Jittered(TimeSpan nominal, double jitter) =>
        nominal * (1 - JitterShare * Math.Clamp(jitter, 0, 1));
}
