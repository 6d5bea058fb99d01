using Aetherium.Scheduler.Persistence;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Aetherium.Scheduler.Images;

public static class ImageEndpoints
{
    public sealed record ImageResponse(string Id, string Name, string Os, string OsVersion, int DefaultCpuCores, int DefaultMemoryMb, int DefaultDiskGb, string[] Runtimes);

    public sealed record ImageList(IReadOnlyList<ImageResponse> Images, int Total);

    public static IEndpointRouteBuilder MapImageEndpoints(this IEndpointRouteBuilder app)
    {
        // The catalog is public, as seed 000's /api/system/images was.
        app.MapGet("/api/v1/images", List).AllowAnonymous().WithTags("Images");
        return app;
    }

    private static async Task<Ok<ImageList>> List(SchedulerDbContext db, CancellationToken ct)
    {
        var images = await db.Images.AsNoTracking().OrderBy(i => i.Id).ToListAsync(ct);
        var list = images.Select(i => new ImageResponse(i.Id, i.Name, i.Os, i.OsVersion, i.DefaultCpuCores, i.DefaultMemoryMb, i.DefaultDiskGb, i.Runtimes)).ToList();
        return TypedResults.Ok(new ImageList(list, list.Count));
    }
}
