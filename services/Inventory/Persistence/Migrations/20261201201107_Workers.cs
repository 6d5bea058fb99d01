using System;
using System.Collections.Generic;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Aetherium.Inventory.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class Workers : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "metric_samples",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityAlwaysColumn),
                    worker_id = table.Column<Guid>(type: "uuid", nullable: false),
                    sampled_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    cpu_usage_percent = table.Column<double>(type: "double precision", nullable: false),
                    memory_usage_percent = table.Column<double>(type: "double precision", nullable: false),
                    disk_usage_percent = table.Column<double>(type: "double precision", nullable: false),
                    data = table.Column<string>(type: "jsonb", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_metric_samples", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "observed_vms",
                columns: table => new
                {
                    worker_id = table.Column<Guid>(type: "uuid", nullable: false),
                    vm_id = table.Column<Guid>(type: "uuid", nullable: false),
                    state = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    reason = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true),
                    desired_version = table.Column<long>(type: "bigint", nullable: false),
                    restarts = table.Column<int>(type: "integer", nullable: false),
                    generation = table.Column<long>(type: "bigint", nullable: false),
                    observed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_observed_vms", x => new { x.worker_id, x.vm_id });
                });

            migrationBuilder.CreateTable(
                name: "revoked_tokens",
                columns: table => new
                {
                    token_id = table.Column<Guid>(type: "uuid", nullable: false),
                    worker_id = table.Column<Guid>(type: "uuid", nullable: false),
                    revoked_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_revoked_tokens", x => x.token_id);
                });

            migrationBuilder.CreateTable(
                name: "workers",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    organization_id = table.Column<Guid>(type: "uuid", nullable: false),
                    created_by = table.Column<Guid>(type: "uuid", nullable: false),
                    name = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    zone = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    labels = table.Column<string>(type: "jsonb", nullable: false),
                    roles = table.Column<List<string>>(type: "text[]", nullable: false),
                    max_vms = table.Column<int>(type: "integer", nullable: false),
                    status = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    status_before_offline = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: true),
                    status_reason = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    status_changed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    drain_deadline = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    drain_max_parallel = table.Column<int>(type: "integer", nullable: false),
                    hostname = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: true),
                    ip_address = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    public_ip_address = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    os = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    cpu_cores = table.Column<int>(type: "integer", nullable: false),
                    cpu_model = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    memory_mb = table.Column<long>(type: "bigint", nullable: false),
                    disk_gb = table.Column<long>(type: "bigint", nullable: false),
                    gpus = table.Column<string>(type: "jsonb", nullable: false),
                    agent_version = table.Column<string>(type: "character varying(50)", maxLength: 50, nullable: true),
                    runtimes = table.Column<List<string>>(type: "text[]", nullable: false),
                    default_runtime = table.Column<string>(type: "character varying(50)", maxLength: 50, nullable: true),
                    supported_images = table.Column<List<string>>(type: "text[]", nullable: true),
                    registered_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    started_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    cpu_usage_percent = table.Column<double>(type: "double precision", nullable: false),
                    memory_usage_percent = table.Column<double>(type: "double precision", nullable: false),
                    disk_usage_percent = table.Column<double>(type: "double precision", nullable: false),
                    uptime_seconds = table.Column<long>(type: "bigint", nullable: false),
                    last_heartbeat_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    applied_desired_version = table.Column<long>(type: "bigint", nullable: false),
                    session_id = table.Column<Guid>(type: "uuid", nullable: true),
                    token_id = table.Column<Guid>(type: "uuid", nullable: true),
                    token_generated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    token_expires_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    token_last_used_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    version = table.Column<long>(type: "bigint", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    deleted_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_workers", x => x.id);
                })
                .Annotation("Npgsql:StorageParameter:fillfactor", 70);

            migrationBuilder.CreateTable(
                name: "desired_states",
                columns: table => new
                {
                    worker_id = table.Column<Guid>(type: "uuid", nullable: false),
                    version = table.Column<long>(type: "bigint", nullable: false),
                    vms = table.Column<string>(type: "jsonb", nullable: false),
                    used_cpu_cores = table.Column<int>(type: "integer", nullable: false),
                    used_memory_mb = table.Column<long>(type: "bigint", nullable: false),
                    used_disk_gb = table.Column<long>(type: "bigint", nullable: false),
                    vm_count = table.Column<int>(type: "integer", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_desired_states", x => x.worker_id);
                    table.ForeignKey(
                        name: "FK_desired_states_workers_worker_id",
                        column: x => x.worker_id,
                        principalTable: "workers",
                        principalColumn: "id");
                });

            migrationBuilder.CreateIndex(
                name: "IX_metric_samples_sampled_at",
                table: "metric_samples",
                column: "sampled_at");

            migrationBuilder.CreateIndex(
                name: "IX_metric_samples_worker_id_sampled_at",
                table: "metric_samples",
                columns: new[] { "worker_id", "sampled_at" });

            migrationBuilder.CreateIndex(
                name: "IX_revoked_tokens_worker_id",
                table: "revoked_tokens",
                column: "worker_id");

            migrationBuilder.CreateIndex(
                name: "IX_workers_organization_id_created_at",
                table: "workers",
                columns: new[] { "organization_id", "created_at" });

            migrationBuilder.CreateIndex(
                name: "IX_workers_status",
                table: "workers",
                column: "status");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "desired_states");

            migrationBuilder.DropTable(
                name: "metric_samples");

            migrationBuilder.DropTable(
                name: "observed_vms");

            migrationBuilder.DropTable(
                name: "revoked_tokens");

            migrationBuilder.DropTable(
                name: "workers");
        }
    }
}
