using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Aetherium.Lease.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class LeaseExpiryError : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "expiry_error",
                table: "leases",
                type: "character varying(1000)",
                maxLength: 1000,
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "expiry_error",
                table: "leases");
        }
    }
}
