using System.Text.Json;
using Aetherium.Contracts;
using Aetherium.Lease.Leases;
using Aetherium.Lease.Pricing;
using Aetherium.ServiceDefaults.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;

namespace Aetherium.Lease.Persistence;

public sealed class LeaseDbContext(DbContextOptions<LeaseDbContext> options) : ServiceDbContext(options)
{
    public DbSet<LeaseEntity> Leases => Set<LeaseEntity>();
    public DbSet<LeaseVm> LeaseVms => Set<LeaseVm>();
    public DbSet<PricingTier> PricingTiers => Set<PricingTier>();

    private static readonly JsonSerializerOptions SpecJson = new(JsonSerializerDefaults.Web);

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        base.OnModelCreating(modelBuilder);

        modelBuilder.Entity<LeaseEntity>(e =>
        {
            e.ToTable("leases");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).HasColumnName("id");
            e.Property(x => x.OrganizationId).HasColumnName("organization_id");
            e.Property(x => x.UserId).HasColumnName("user_id");
            e.Property(x => x.Name).HasColumnName("name").HasMaxLength(63);
            e.Property(x => x.Status).HasColumnName("status").HasMaxLength(16);
            e.Property(x => x.LeasedFrom).HasColumnName("leased_from");
            e.Property(x => x.LeasedUntil).HasColumnName("leased_until");
            e.Property(x => x.EndedAt).HasColumnName("ended_at");
            e.Property(x => x.ExpiryError).HasColumnName("expiry_error").HasMaxLength(1000);
            e.Property(x => x.Spec).HasColumnName("spec").HasColumnType("jsonb")
                .HasConversion(
                    s => JsonSerializer.Serialize(s, SpecJson),
                    s => JsonSerializer.Deserialize<VmSpec>(s, SpecJson)!,
                    new ValueComparer<VmSpec>(
                        (a, b) => JsonSerializer.Serialize(a, SpecJson) == JsonSerializer.Serialize(b, SpecJson),
                        s => JsonSerializer.Serialize(s, SpecJson).GetHashCode(),
                        s => s));
            e.Property(x => x.TierId).HasColumnName("tier_id").HasMaxLength(32);
            e.Property(x => x.Currency).HasColumnName("currency").HasMaxLength(8);
            e.Property(x => x.HourlyCost).HasColumnName("hourly_cost").HasPrecision(18, Costs.Decimals);
            e.Property(x => x.TotalCost).HasColumnName("total_cost").HasPrecision(18, Costs.Decimals);
            e.Property(x => x.Username).HasColumnName("username").HasMaxLength(32);
            e.Property(x => x.AuthKind).HasColumnName("auth_kind").HasMaxLength(16);
            e.Property(x => x.SshPublicKey).HasColumnName("ssh_public_key");
            e.Property(x => x.PasswordHash).HasColumnName("password_hash").HasMaxLength(100);
            e.Property(x => x.CreatedAt).HasColumnName("created_at");
            e.HasMany(x => x.Vms).WithOne().HasForeignKey(v => v.LeaseId);
            // The expiry loop's claim: WHERE status = 'active' AND leased_until <= now() ORDER BY leased_until.
            e.HasIndex(x => new { x.Status, x.LeasedUntil });
            e.HasIndex(x => new { x.OrganizationId, x.CreatedAt });
        });

        modelBuilder.Entity<LeaseVm>(e =>
        {
            e.ToTable("lease_vms");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).HasColumnName("id").ValueGeneratedNever();
            e.Property(x => x.LeaseId).HasColumnName("lease_id");
            e.Property(x => x.Index).HasColumnName("index");
            e.Property(x => x.Name).HasColumnName("name").HasMaxLength(80);
            e.Property(x => x.Status).HasColumnName("status").HasMaxLength(32);
            e.Property(x => x.StatusReason).HasColumnName("status_reason").HasMaxLength(1000);
            e.Property(x => x.WorkerId).HasColumnName("worker_id");
            e.Property(x => x.WorkerAddress).HasColumnName("worker_address").HasMaxLength(255);
            e.Property(x => x.Port).HasColumnName("port");
            e.Property(x => x.Version).HasColumnName("version");
            e.Property(x => x.UpdatedAt).HasColumnName("updated_at");
            e.HasIndex(x => x.LeaseId);
        });

        modelBuilder.Entity<PricingTier>(e =>
        {
            e.ToTable("pricing_tiers");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).HasColumnName("id").HasMaxLength(32);
            e.Property(x => x.Name).HasColumnName("name").HasMaxLength(100);
            e.Property(x => x.PricePerVcpuHour).HasColumnName("price_per_vcpu_hour").HasPrecision(12, Costs.Decimals);
            e.Property(x => x.PricePerGbMemoryHour).HasColumnName("price_per_gb_memory_hour").HasPrecision(12, Costs.Decimals);
            e.Property(x => x.PricePerGbDiskHour).HasColumnName("price_per_gb_disk_hour").HasPrecision(12, Costs.Decimals);
            e.Property(x => x.PricePerGpuHour).HasColumnName("price_per_gpu_hour").HasPrecision(12, Costs.Decimals);
            e.Property(x => x.Currency).HasColumnName("currency").HasMaxLength(8);
            // The starting price list; operators change prices in the table.
            e.HasData(
                new PricingTier
                {
                    Id = PricingTier.Standard, Name = "Standard", Currency = "USD",
                    PricePerVcpuHour = 0.02m, PricePerGbMemoryHour = 0.005m, PricePerGbDiskHour = 0.0002m, PricePerGpuHour = 0m,
                },
                new PricingTier
                {
                    Id = PricingTier.Gpu, Name = "GPU", Currency = "USD",
                    PricePerVcpuHour = 0.03m, PricePerGbMemoryHour = 0.006m, PricePerGbDiskHour = 0.0002m, PricePerGpuHour = 0.9m,
                });
        });
    }
}
