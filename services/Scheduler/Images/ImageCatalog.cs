using Aetherium.Scheduler.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Aetherium.Scheduler.Images;

/// <summary>The images table, cached for a minute: every VM request is checked against it.</summary>
public sealed class ImageCatalog(TimeProvider time)
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(1);
    private volatile Cached? _cached;

    private sealed record Cached(IReadOnlyDictionary<string, Image> Images, DateTimeOffset At);

    public async Task<IReadOnlyDictionary<string, Image>> GetAsync(SchedulerDbContext db, CancellationToken ct)
    {
        var cached = _cached;
        if (cached is not null && time.GetUtcNow() - cached.At < Lifetime) return cached.Images;
        var images = await db.Images.AsNoTracking().ToDictionaryAsync(i => i.Id, StringComparer.Ordinal, ct);
        _cached = new Cached(images, time.GetUtcNow());
        return images;
    }
}
