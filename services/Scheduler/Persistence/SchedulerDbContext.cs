using System.Text;
using System.Text.Json;
using Aetherium.Contracts;
using Aetherium.Scheduler.Images;
using Aetherium.Scheduler.Rescheduling;
using Aetherium.Scheduler.Vms;
using Aetherium.Scheduler.Workers;
using Aetherium.ServiceDefaults.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Aetherium.Scheduler.Persistence;

public sealed class SchedulerDbContext(DbContextOptions<SchedulerDbContext> options) : ServiceDbContext(options)
{
    public DbSet<Vm> Vms => Set<Vm>();
    public DbSet<SchedulerWorker> Workers => Set<SchedulerWorker>();
    public DbSet<Image> Images => Set<Image>();
    public DbSet<RateLimitState> RateLimits => Set<RateLimitState>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        base.OnModelCreating(modelBuilder);

        modelBuilder.Entity<Vm>(e =>
        {
            e.ToTable("vms");
            e.HasKey(x => x.Id);
            e.Property(x => x.Name).HasMaxLength(63);
            e.Property(x => x.Status).HasMaxLength(20);
            e.Property(x => x.StatusReason).HasMaxLength(1000);
            e.Property(x => x.ImageId).HasMaxLength(64);
            e.Property(x => x.Zone).HasMaxLength(64);
            e.Property(x => x.Runtime).HasMaxLength(32);
            e.Property(x => x.Command).HasMaxLength(4096);
            e.Property(x => x.Scoring).HasMaxLength(16);
            e.Property(x => x.WorkerAddress).HasMaxLength(255);
            e.Property(x => x.PowerState).HasMaxLength(16);
            e.Property(x => x.MigrationReason).HasMaxLength(200);
            e.Property(x => x.AccessUsername).HasMaxLength(64);
            e.Ignore(x => x.Access);
            e.Ignore(x => x.Endpoint);
            Json(e.Property(x => x.Labels));
            e.Ignore(x => x.Gpus);
            e.Ignore(x => x.Spec);
            e.HasIndex(x => new { x.OrganizationId, x.CreatedAt });
            e.HasIndex(x => x.WorkerId);
            e.HasIndex(x => x.WorkerAddress).HasFilter("worker_address IS NOT NULL"); // ports shared by workers on one address
            e.HasIndex(x => x.LeaseId);
            e.HasIndex(x => x.MigratedFrom).HasFilter("migrated_from IS NOT NULL");
            e.HasIndex(x => x.QueuedAt).HasDatabaseName("ix_vms_queue")
                .HasFilter($"status IN ('{VmStatus.Pending}', '{VmStatus.Migrating}', '{VmStatus.Unschedulable}')");
            e.HasIndex(x => x.DeletingSince).HasFilter($"status = '{VmStatus.Deleting}'");
        });

        modelBuilder.Entity<SchedulerWorker>(e =>
        {
            e.ToTable("scheduler_workers");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).ValueGeneratedNever();
            e.Property(x => x.Name).HasMaxLength(200);
            e.Property(x => x.Address).HasMaxLength(255);
            e.Property(x => x.Zone).HasMaxLength(64);
            e.Property(x => x.Status).HasMaxLength(20);
            Json(e.Property(x => x.Labels));
            e.HasIndex(x => x.Status);
            e.HasIndex(x => x.CapacityChangedAt);
            e.HasIndex(x => x.UpdatedAt);
        });

        modelBuilder.Entity<Image>(e =>
        {
            e.ToTable("images");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).HasMaxLength(64);
            e.Property(x => x.Name).HasMaxLength(200);
            e.Property(x => x.Os).HasMaxLength(64);
            e.Property(x => x.OsVersion).HasMaxLength(64);
            e.HasData(Image.Seed);
        });

        modelBuilder.Entity<RateLimitState>(e =>
        {
            e.ToTable("rate_limits");
            e.HasKey(x => x.Name);
            e.Property(x => x.Name).HasMaxLength(64);
        });

        // snake_case columns for this service's own tables (the outbox/inbox name theirs explicitly).
        foreach (var entity in modelBuilder.Model.GetEntityTypes())
        {
            foreach (var property in entity.GetProperties())
            {
                if (property.GetColumnName() == property.Name) property.SetColumnName(SnakeCase(property.Name));
            }
        }
    }

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.General);

    /// <summary>A string dictionary stored as jsonb.</summary>
    private static void Json(PropertyBuilder<Dictionary<string, string>> property) =>
        property.HasColumnType("jsonb")
            .HasConversion(
                v => JsonSerializer.Serialize(v, JsonOptions),
                v => JsonSerializer.Deserialize<Dictionary<string, string>>(v, JsonOptions) ?? new Dictionary<string, string>(),
                new ValueComparer<Dictionary<string, string>>(
                    (a, b) => a!.Count == b!.Count && !a.Except(b).Any(),
                    v => v.Aggregate(0, (h, kv) => HashCode.Combine(h, kv.Key, kv.Value)),
                    v => new Dictionary<string, string>(v)));

    public static string SnakeCase(string name)
    {
        var sb = new StringBuilder(name.Length + 8);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c))
            {
                if (i > 0) sb.Append('_');
                sb.Append(char.ToLowerInvariant(c));
            }
            else sb.Append(c);
        }
        return sb.ToString();
    }
}
