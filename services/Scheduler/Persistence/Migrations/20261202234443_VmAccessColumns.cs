using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Aetherium.Scheduler.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class VmAccessColumns : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "access_password_hash",
                table: "vms",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "access_ssh_public_key",
                table: "vms",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "access_username",
                table: "vms",
                type: "character varying(64)",
                maxLength: 64,
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "access_password_hash",
                table: "vms");

            migrationBuilder.DropColumn(
                name: "access_ssh_public_key",
                table: "vms");

            migrationBuilder.DropColumn(
                name: "access_username",
                table: "vms");
        }
    }
}
