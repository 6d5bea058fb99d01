using System.Text.Json;
using Aetherium.Contracts;
using Aetherium.Inventory.DesiredState;
using Aetherium.Inventory.Revocation;
using Aetherium.Inventory.Telemetry;
using Aetherium.Inventory.Workers;
using Aetherium.ServiceDefaults.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Aetherium.Inventory.Persistence;

public sealed class InventoryDbContext(DbContextOptions<InventoryDbContext> options) : ServiceDbContext(options)
{
    public DbSet<Worker> Workers => Set<Worker>();
    public DbSet<WorkerDesiredState> DesiredStates => Set<WorkerDesiredState>();
    public DbSet<ObservedVm> ObservedVms => Set<ObservedVm>();
    public DbSet<RevokedToken> RevokedTokens => Set<RevokedToken>();
    public DbSet<TokenUse> TokenUses => Set<TokenUse>();
    public DbSet<MetricSample> MetricSamples => Set<MetricSample>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        base.OnModelCreating(modelBuilder);

        modelBuilder.Entity<Worker>(e =>
        {
            // Heartbeat flushes rewrite every row often and touch no indexed column: room on each page
            // lets PostgreSQL update in place (HOT) instead of growing the table and its indexes.
            e.ToTable("workers");
            e.HasStorageParameter("fillfactor", 70);
            e.HasKey(x => x.Id);
            e.Property(x => x.Name).HasMaxLength(100);
            e.Property(x => x.Zone).HasMaxLength(63);
            e.Property(x => x.Status).HasMaxLength(20);
            e.Property(x => x.StatusBeforeOffline).HasMaxLength(20);
            e.Property(x => x.StatusReason).HasMaxLength(200);
            e.Property(x => x.Hostname).HasMaxLength(255);
            e.Property(x => x.IpAddress).HasMaxLength(64);
            e.Property(x => x.PublicIpAddress).HasMaxLength(64);
            e.Property(x => x.Os).HasMaxLength(200);
            e.Property(x => x.CpuModel).HasMaxLength(200);
            e.Property(x => x.AgentVersion).HasMaxLength(50);
            e.Property(x => x.DefaultRuntime).HasMaxLength(50);
            e.Json(x => x.Labels);
            e.Json(x => x.Gpus);
            e.Property(x => x.Version).IsConcurrencyToken();
            e.Ignore(x => x.Address);
            e.HasIndex(x => new { x.OrganizationId, x.CreatedAt });
            e.HasIndex(x => x.Status);
            e.HasOne(x => x.Desired).WithOne().HasForeignKey<WorkerDesiredState>(d => d.WorkerId).IsRequired(false)
                .OnDelete(DeleteBehavior.NoAction);
        });

        modelBuilder.Entity<WorkerDesiredState>(e =>
        {
            e.ToTable("desired_states");
            e.HasKey(x => x.WorkerId);
            e.Json(x => x.Vms);
        });

        modelBuilder.Entity<ObservedVm>(e =>
        {
            e.ToTable("observed_vms");
            e.HasKey(x => new { x.WorkerId, x.VmId });
            e.Property(x => x.State).HasMaxLength(20);
            e.Property(x => x.Reason).HasMaxLength(500);
        });

        modelBuilder.Entity<RevokedToken>(e =>
        {
            e.ToTable("revoked_tokens");
            e.HasKey(x => x.TokenId);
            e.HasIndex(x => x.WorkerId);
        });

        modelBuilder.Entity<TokenUse>(e =>
        {
            e.ToTable("token_uses");
            e.HasKey(x => x.TokenId);
            e.Property(x => x.LastUsedFrom).HasMaxLength(64);
            e.HasIndex(x => x.WorkerId);
        });

        modelBuilder.Entity<MetricSample>(e =>
        {
            e.ToTable("metric_samples");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).UseIdentityAlwaysColumn();
            e.Property(x => x.Data).HasColumnType("jsonb");
            e.HasIndex(x => new { x.WorkerId, x.SampledAt });
            e.HasIndex(x => x.SampledAt);
        });

        // snake_case columns, so the hand-written SQL of the hot path reads like the rest of the schema.
        foreach (var entity in modelBuilder.Model.GetEntityTypes())
            foreach (var property in entity.GetProperties())
                if (property.GetColumnName() == property.Name)
                    property.SetColumnName(SnakeCase(property.Name));
    }

    private static string SnakeCase(string name) =>
        string.Concat(name.Select((c, i) => char.IsUpper(c) ? (i > 0 ? "_" : "") + char.ToLowerInvariant(c) : c.ToString()));
}

public static class JsonColumns
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    /// <summary>The JSON a jsonb column holds, for SQL written by hand.</summary>
    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);

    /// <summary>Maps a property to a jsonb column (System.Text.Json), compared by content.</summary>
    public static void Json<TEntity, TValue>(this EntityTypeBuilder<TEntity> e, System.Linq.Expressions.Expression<Func<TEntity, TValue>> property)
        where TEntity : class where TValue : class
    {
        e.Property(property)
            .HasColumnType("jsonb")
            .HasConversion(
                v => JsonSerializer.Serialize(v, Options),
                s => JsonSerializer.Deserialize<TValue>(s, Options)!,
                new ValueComparer<TValue>(
                    (a, b) => JsonSerializer.Serialize(a, Options) == JsonSerializer.Serialize(b, Options),
                    v => JsonSerializer.Serialize(v, Options).GetHashCode(),
                    v => JsonSerializer.Deserialize<TValue>(JsonSerializer.Serialize(v, Options), Options)!));
    }
}
