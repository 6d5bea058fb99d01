namespace Aetherium.Identity.Tokens;

/// <summary>Creates the keys at start-up (before the service listens) and rotates them when due.</summary>
public sealed class KeyMaintenance(SigningKeyStore keys, JwtSettings settings, ILogger<KeyMaintenance> log) : BackgroundService
{
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await keys.InitializeAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Once a minute, or more often when keys rotate faster than that.
        var period = TimeSpan.FromTicks(Math.Clamp(settings.KeyRotationInterval.Ticks / 4, TimeSpan.TicksPerMillisecond * 100, TimeSpan.TicksPerMinute));
        using var timer = new PeriodicTimer(period);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await keys.RotateAsync(onlyIfDue: true, stoppingToken);
                    await keys.GetAsync(stoppingToken);
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    log.LogWarning("Key maintenance failed, retrying: {Error}", ex.Message);
                }
            }
        }
        catch (OperationCanceledException) { }
    }
}
