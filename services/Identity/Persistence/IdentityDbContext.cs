using System.Text;
using Aetherium.Identity.Accounts;
using Aetherium.Identity.Organizations;
using Aetherium.Identity.Sessions;
using Aetherium.Identity.Tokens;
using Aetherium.Identity.Wallets;
using Aetherium.Identity.WorkerTokens;
using Aetherium.ServiceDefaults.Data;
using Microsoft.EntityFrameworkCore;

namespace Aetherium.Identity.Persistence;

public sealed class IdentityDbContext(DbContextOptions<IdentityDbContext> options) : ServiceDbContext(options)
{
    public DbSet<User> Users => Set<User>();
    public DbSet<Organization> Organizations => Set<Organization>();
    public DbSet<Invite> Invites => Set<Invite>();
    public DbSet<RefreshToken> RefreshTokens => Set<RefreshToken>();
    public DbSet<SigningKey> SigningKeys => Set<SigningKey>();
    public DbSet<WalletChallenge> WalletChallenges => Set<WalletChallenge>();
    public DbSet<WorkerToken> WorkerTokens => Set<WorkerToken>();
    public DbSet<SignInThrottle> SignInThrottles => Set<SignInThrottle>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        base.OnModelCreating(modelBuilder);
        modelBuilder.Entity<User>(e =>
        {
            e.ToTable("users");
            e.Property(x => x.Username).HasMaxLength(64);
            e.HasIndex(x => x.Username).IsUnique();
            e.Property(x => x.Email).HasMaxLength(254);
            e.Property(x => x.WalletAddress).HasMaxLength(42);
            e.HasIndex(x => x.WalletAddress).IsUnique();
            e.HasIndex(x => x.OrganizationId);
            e.HasIndex(x => x.CreatedAt);
        });
        modelBuilder.Entity<Organization>(e =>
        {
            e.ToTable("organizations");
            e.Property(x => x.Name).HasMaxLength(100);
        });
        modelBuilder.Entity<Invite>(e =>
        {
            e.ToTable("invites");
            e.Property(x => x.CodeHash).HasMaxLength(64);
            e.HasIndex(x => x.CodeHash).IsUnique();
        });
        modelBuilder.Entity<RefreshToken>(e =>
        {
            e.ToTable("refresh_tokens");
            e.Property(x => x.TokenHash).HasMaxLength(64);
            e.HasIndex(x => x.TokenHash).IsUnique();
            e.HasIndex(x => x.FamilyId);
        });
        modelBuilder.Entity<SigningKey>(e =>
        {
            e.ToTable("signing_keys");
            e.Property(x => x.Id).HasMaxLength(64);
            e.Property(x => x.Algorithm).HasMaxLength(16);
        });
        modelBuilder.Entity<WalletChallenge>(e =>
        {
            e.ToTable("wallet_challenges");
            e.HasKey(x => x.Nonce);
            e.Property(x => x.Nonce).HasMaxLength(64);
            e.Property(x => x.Address).HasMaxLength(42);
            e.Property(x => x.Message).HasMaxLength(2000);
            e.HasIndex(x => x.ExpiresAt);
        });
        modelBuilder.Entity<WorkerToken>(e =>
        {
            e.ToTable("worker_tokens");
            e.Property(x => x.KeyId).HasMaxLength(64);
            e.Property(x => x.RevokedReason).HasMaxLength(200);
            e.HasIndex(x => x.WorkerId);
            e.HasIndex(x => x.OrganizationId);
        });
        modelBuilder.Entity<SignInThrottle>(e =>
        {
            e.ToTable("sign_in_throttles");
            e.HasKey(x => x.AccountHash);
            e.Property(x => x.AccountHash).HasMaxLength(64);
            e.HasIndex(x => x.LastAttemptAt);
        });

        // snake_case columns for this service's tables (the outbox/inbox already name theirs).
        foreach (var entity in modelBuilder.Model.GetEntityTypes())
        {
            foreach (var property in entity.GetProperties())
            {
                if (property.GetColumnName() == property.Name) property.SetColumnName(SnakeCase(property.Name));
            }
        }
    }

    private static string SnakeCase(string name)
    {
        var sb = new StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0) sb.Append('_');
            sb.Append(char.ToLowerInvariant(name[i]));
        }
        return sb.ToString();
    }
}
