using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

#pragma warning disable CA1814 // Prefer jagged arrays over multidimensional

namespace Aetherium.Lease.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class Leases : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "leases",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    organization_id = table.Column<Guid>(type: "uuid", nullable: false),
                    user_id = table.Column<Guid>(type: "uuid", nullable: false),
                    name = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    status = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    leased_from = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    leased_until = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    ended_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    spec = table.Column<string>(type: "jsonb", nullable: false),
                    tier_id = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    currency = table.Column<string>(type: "character varying(8)", maxLength: 8, nullable: false),
                    hourly_cost = table.Column<decimal>(type: "numeric(18,6)", precision: 18, scale: 6, nullable: false),
                    total_cost = table.Column<decimal>(type: "numeric(18,6)", precision: 18, scale: 6, nullable: false),
                    username = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    auth_kind = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    ssh_public_key = table.Column<string>(type: "text", nullable: true),
                    password_hash = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_leases", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "pricing_tiers",
                columns: table => new
                {
                    id = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    name = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    price_per_vcpu_hour = table.Column<decimal>(type: "numeric(12,6)", precision: 12, scale: 6, nullable: false),
                    price_per_gb_memory_hour = table.Column<decimal>(type: "numeric(12,6)", precision: 12, scale: 6, nullable: false),
                    price_per_gb_disk_hour = table.Column<decimal>(type: "numeric(12,6)", precision: 12, scale: 6, nullable: false),
                    price_per_gpu_hour = table.Column<decimal>(type: "numeric(12,6)", precision: 12, scale: 6, nullable: false),
                    currency = table.Column<string>(type: "character varying(8)", maxLength: 8, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_pricing_tiers", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "lease_vms",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    lease_id = table.Column<Guid>(type: "uuid", nullable: false),
                    index = table.Column<int>(type: "integer", nullable: false),
                    name = table.Column<string>(type: "character varying(80)", maxLength: 80, nullable: false),
                    status = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    status_reason = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: true),
                    worker_id = table.Column<Guid>(type: "uuid", nullable: true),
                    worker_address = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: true),
                    port = table.Column<int>(type: "integer", nullable: true),
                    version = table.Column<long>(type: "bigint", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_lease_vms", x => x.id);
                    table.ForeignKey(
                        name: "FK_lease_vms_leases_lease_id",
                        column: x => x.lease_id,
                        principalTable: "leases",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.InsertData(
                table: "pricing_tiers",
                columns: new[] { "id", "currency", "name", "price_per_gb_disk_hour", "price_per_gb_memory_hour", "price_per_gpu_hour", "price_per_vcpu_hour" },
                values: new object[,]
                {
                    { "gpu", "USD", "GPU", 0.0002m, 0.006m, 0.9m, 0.03m },
                    { "standard", "USD", "Standard", 0.0002m, 0.005m, 0m, 0.02m }
                });

            migrationBuilder.CreateIndex(
                name: "IX_lease_vms_lease_id",
                table: "lease_vms",
                column: "lease_id");

            migrationBuilder.CreateIndex(
                name: "IX_leases_organization_id_created_at",
                table: "leases",
                columns: new[] { "organization_id", "created_at" });

            migrationBuilder.CreateIndex(
                name: "IX_leases_status_leased_until",
                table: "leases",
                columns: new[] { "status", "leased_until" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "lease_vms");

            migrationBuilder.DropTable(
                name: "pricing_tiers");

            migrationBuilder.DropTable(
                name: "leases");
        }
    }
}
