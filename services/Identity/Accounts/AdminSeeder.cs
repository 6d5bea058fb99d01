using Aetherium.Contracts;
using Aetherium.Identity.Persistence;
using Aetherium.ServiceDefaults.Http;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Aetherium.Identity.Accounts;

/// <summary>
/// The first admin, from configuration <c>Admin:Username</c> (default "admin") / <c>Admin:Password</c>
/// (the AppHost always passes one). Created at start-up when missing; replicas starting together take
/// turns on an advisory lock, so exactly one creates it. An existing account is left as it is.
/// </summary>
public sealed class AdminSeeder(IServiceScopeFactory scopes, IConfiguration config, ILogger<AdminSeeder> log) : IHostedService
{
    private const long LockId = 0x1D_E7_17_03;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var username = config["Admin:Username"] is { Length: > 0 } u ? u : "admin";
        var password = config["Admin:Password"];
        if (string.IsNullOrEmpty(password))
        {
            log.LogWarning("Admin:Password is not configured: no admin account is created");
            return;
        }

        var rules = new Validator();
        AccountRules.CheckSignInUsername(rules, username);
        if (rules.Failed)
        {
            log.LogError("Admin:Username '{Username}' is not a name anyone can sign in with (3-64 characters of a-z, 0-9, '.', '_' or '-'): no admin account is created", username);
            return;
        }

        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<IdentityDbContext>();
        var hasher = scope.ServiceProvider.GetRequiredService<IPasswordHasher<User>>();
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({LockId})", cancellationToken);
        if (await db.Users.AnyAsync(x => x.Username == username, cancellationToken))
            return;
        var admin = NewAccounts.Add(db, username, [Roles.Admin, Roles.User]);
        admin.PasswordHash = hasher.HashPassword(admin, password);
        await db.SaveChangesAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
        log.LogInformation("Created the admin account {Username}", username);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
