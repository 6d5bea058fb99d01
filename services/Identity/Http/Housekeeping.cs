using Aetherium.Identity.Persistence;
using Aetherium.Identity.Sessions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Aetherium.Identity.Http;

/// <summary>Removes rows that can never be used again: old challenges, refresh tokens, invites and sign-in counts.</summary>
public sealed class Housekeeping(IServiceScopeFactory scopes, ILogger<Housekeeping> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(10));
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await using var scope = scopes.CreateAsyncScope();
                    var db = scope.ServiceProvider.GetRequiredService<IdentityDbContext>();
                    var hourAgo = DateTimeOffset.UtcNow.AddHours(-1);
                    var dayAgo = DateTimeOffset.UtcNow.AddDays(-1);
                    await db.WalletChallenges.Where(c => c.ExpiresAt < hourAgo).ExecuteDeleteAsync(stoppingToken);
                    await db.RefreshTokens.Where(t => t.ExpiresAt < dayAgo).ExecuteDeleteAsync(stoppingToken);
                    await db.Invites.Where(i => i.ExpiresAt < dayAgo).ExecuteDeleteAsync(stoppingToken);
                    var limits = scope.ServiceProvider.GetRequiredService<IOptions<AccountThrottle.Limits>>().Value;
                    await AccountThrottle.Forgotten(db, limits, DateTimeOffset.UtcNow).ExecuteDeleteAsync(stoppingToken);
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    log.LogWarning("Housekeeping failed, retrying later: {Error}", ex.Message);
                }
            }
        }
        catch (OperationCanceledException) { }
    }
}
