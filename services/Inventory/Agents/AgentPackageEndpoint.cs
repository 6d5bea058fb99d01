using System.Formats.Tar;
using System.IO.Compression;
using Aetherium.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Aetherium.Inventory.Agents;

/// <summary>
/// GET /api/v1/agent/package: the agent's build output (Agent:PackageDirectory) as a tar.gz, streamed
/// as it is packed. The install script downloads it with the worker token; its owner may fetch it too.
/// </summary>
public static class AgentPackageEndpoint
{
    public static void MapAgentPackage(this IEndpointRouteBuilder app) =>
        app.MapGet("/api/v1/agent/package", Package).RequireAuthorization(p => p.RequireRole(Roles.Worker, Roles.User, Roles.Admin));

    private static Results<PushStreamHttpResult, ProblemHttpResult> Package(IConfiguration configuration)
    {
        var dir = configuration["Agent:PackageDirectory"];
        if (string.IsNullOrWhiteSpace(dir) || !Directory.Exists(dir))
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Agent package not available",
                detail: "This controller has no agent package configured (Agent:PackageDirectory).");
        return TypedResults.Stream(async body =>
        {
            await using var gzip = new GZipStream(body, CompressionLevel.Fastest, leaveOpen: true);
            await TarFile.CreateFromDirectoryAsync(dir, gzip, includeBaseDirectory: false);
        }, "application/gzip", "aetherium-agent.tar.gz");
    }
}
