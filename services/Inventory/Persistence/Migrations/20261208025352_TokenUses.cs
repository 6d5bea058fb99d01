using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Aetherium.Inventory.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class TokenUses : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "token_uses",
                columns: table => new
                {
                    token_id = table.Column<Guid>(type: "uuid", nullable: false),
                    worker_id = table.Column<Guid>(type: "uuid", nullable: false),
                    last_used_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    last_used_from = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_token_uses", x => x.token_id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_token_uses_worker_id",
                table: "token_uses",
                column: "worker_id");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "token_uses");
        }
    }
}
