using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

#pragma warning disable CA1814 // Prefer jagged arrays over multidimensional

namespace Aetherium.Scheduler.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class SchedulerModel : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "images",
                columns: table => new
                {
                    id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    os = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    os_version = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    default_cpu_cores = table.Column<int>(type: "integer", nullable: false),
                    default_memory_mb = table.Column<int>(type: "integer", nullable: false),
                    default_disk_gb = table.Column<int>(type: "integer", nullable: false),
                    runtimes = table.Column<string[]>(type: "text[]", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_images", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "rate_limits",
                columns: table => new
                {
                    name = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    tokens = table.Column<double>(type: "double precision", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_rate_limits", x => x.name);
                });

            migrationBuilder.CreateTable(
                name: "scheduler_workers",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    organization_id = table.Column<Guid>(type: "uuid", nullable: false),
                    name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    address = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: true),
                    zone = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    status = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    labels = table.Column<string>(type: "jsonb", nullable: false),
                    runtimes = table.Column<string[]>(type: "text[]", nullable: false),
                    images = table.Column<string[]>(type: "text[]", nullable: true),
                    cpu_cores = table.Column<int>(type: "integer", nullable: false),
                    memory_mb = table.Column<long>(type: "bigint", nullable: false),
                    disk_gb = table.Column<long>(type: "bigint", nullable: false),
                    gpu_count = table.Column<int>(type: "integer", nullable: false),
                    max_vms = table.Column<int>(type: "integer", nullable: false),
                    snapshot_version = table.Column<long>(type: "bigint", nullable: false),
                    drain_deadline = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    drain_max_parallel = table.Column<int>(type: "integer", nullable: false),
                    status_changed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    offline_since = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    capacity_changed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    allocated_cpu = table.Column<int>(type: "integer", nullable: false),
                    allocated_memory_mb = table.Column<long>(type: "bigint", nullable: false),
                    allocated_disk_gb = table.Column<long>(type: "bigint", nullable: false),
                    allocated_gpus = table.Column<int>(type: "integer", nullable: false),
                    vm_count = table.Column<int>(type: "integer", nullable: false),
                    desired_version = table.Column<long>(type: "bigint", nullable: false),
                    next_port = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_scheduler_workers", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "vms",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    organization_id = table.Column<Guid>(type: "uuid", nullable: false),
                    lease_id = table.Column<Guid>(type: "uuid", nullable: true),
                    name = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    status = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    status_reason = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: true),
                    cpu_cores = table.Column<int>(type: "integer", nullable: false),
                    memory_mb = table.Column<int>(type: "integer", nullable: false),
                    disk_gb = table.Column<int>(type: "integer", nullable: false),
                    image_id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    requires_gpu = table.Column<bool>(type: "boolean", nullable: false),
                    gpu_count = table.Column<int>(type: "integer", nullable: false),
                    zone = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    labels = table.Column<string>(type: "jsonb", nullable: false),
                    runtime = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: true),
                    command = table.Column<string>(type: "character varying(4096)", maxLength: 4096, nullable: true),
                    scoring = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: true),
                    worker_id = table.Column<Guid>(type: "uuid", nullable: true),
                    worker_address = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: true),
                    port = table.Column<int>(type: "integer", nullable: true),
                    migrated_from = table.Column<Guid>(type: "uuid", nullable: true),
                    migration_reason = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    power_state = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    generation = table.Column<long>(type: "bigint", nullable: false),
                    version = table.Column<long>(type: "bigint", nullable: false),
                    desired_version = table.Column<long>(type: "bigint", nullable: false),
                    queued_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    checked_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    observed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    deleting_since = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_vms", x => x.id);
                });

            migrationBuilder.InsertData(
                table: "images",
                columns: new[] { "id", "default_cpu_cores", "default_disk_gb", "default_memory_mb", "name", "os", "os_version", "runtimes" },
                values: new object[,]
                {
                    { "debian-12", 1, 20, 2048, "Debian 12 (bookworm)", "debian", "12", new[] { "process", "simulated" } },
                    { "ubuntu-22.04", 2, 40, 4096, "Ubuntu 22.04 LTS", "ubuntu", "22.04", new[] { "process", "simulated" } },
                    { "ubuntu-24.04", 2, 40, 4096, "Ubuntu 24.04 LTS", "ubuntu", "24.04", new[] { "process", "simulated" } }
                });

            migrationBuilder.CreateIndex(
                name: "IX_scheduler_workers_capacity_changed_at",
                table: "scheduler_workers",
                column: "capacity_changed_at");

            migrationBuilder.CreateIndex(
                name: "IX_scheduler_workers_status",
                table: "scheduler_workers",
                column: "status");

            migrationBuilder.CreateIndex(
                name: "IX_scheduler_workers_updated_at",
                table: "scheduler_workers",
                column: "updated_at");

            migrationBuilder.CreateIndex(
                name: "IX_vms_deleting_since",
                table: "vms",
                column: "deleting_since",
                filter: "status = 'deleting'");

            migrationBuilder.CreateIndex(
                name: "IX_vms_lease_id",
                table: "vms",
                column: "lease_id");

            migrationBuilder.CreateIndex(
                name: "IX_vms_migrated_from",
                table: "vms",
                column: "migrated_from",
                filter: "migrated_from IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "IX_vms_organization_id_created_at",
                table: "vms",
                columns: new[] { "organization_id", "created_at" });

            migrationBuilder.CreateIndex(
                name: "IX_vms_worker_id",
                table: "vms",
                column: "worker_id");

            migrationBuilder.CreateIndex(
                name: "ix_vms_queue",
                table: "vms",
                column: "queued_at",
                filter: "status IN ('pending', 'migrating', 'unschedulable')");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "images");

            migrationBuilder.DropTable(
                name: "rate_limits");

            migrationBuilder.DropTable(
                name: "scheduler_workers");

            migrationBuilder.DropTable(
                name: "vms");
        }
    }
}
