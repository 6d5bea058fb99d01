using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Aetherium.Scheduler.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class PortsPerAddress : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "IX_vms_worker_address",
                table: "vms",
                column: "worker_address",
                filter: "worker_address IS NOT NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_vms_worker_address",
                table: "vms");
        }
    }
}
