using System.Security.Claims;
using System.Text.Json;
using Aetherium.Contracts;
using Aetherium.Inventory.Agents;
using Aetherium.Inventory.Persistence;
using Aetherium.ServiceDefaults.Auth;
using Aetherium.ServiceDefaults.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Aetherium.Inventory.Workers;

public sealed record CreateWorkerRequest(string? Name, string? Zone, Dictionary<string, string>? Labels, List<string>? Role, int? MaxVms);

public sealed record UpdateWorkerRequest(string? Name, string? Zone, Dictionary<string, string>? Labels, int? MaxVms);

public sealed record DeleteWorkerResponse(Guid WorkerId, string Status, string Message);

/// <summary>Portal-first worker registry (seed 004): create, list, get, update, delete.</summary>
public static class WorkerEndpoints
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 500;

    public static void MapWorkerCrud(this RouteGroupBuilder g)
    {
        g.MapPost("/", Create);
        g.MapGet("/", List);
        g.MapGet("/{id:guid}", Get);
        g.MapPut("/{id:guid}", Update);
        g.MapDelete("/{id:guid}", Delete);
    }

    /// <summary>The caller's worker, or null when it does not exist, is deleted, or belongs to another tenant (all answer 404).</summary>
    public static Task<Worker?> FindVisibleAsync(this InventoryDbContext db, Guid id, ClaimsPrincipal user, CancellationToken ct, bool track = true)
    {
        var q = db.Workers.Include(w => w.Desired).Where(w => w.Id == id && w.DeletedAt == null);
        if (!user.IsAdmin())
        {
            var org = user.OrganizationId();
            q = q.Where(w => w.OrganizationId == org);
        }
        return (track ? q : q.AsNoTracking()).FirstOrDefaultAsync(ct);
    }

    /// <summary>Workers the caller may see: its organisation's, or all for admins.</summary>
    public static IQueryable<Worker> Visible(this IQueryable<Worker> q, ClaimsPrincipal user)
    {
        q = q.Where(w => w.DeletedAt == null);
        if (user.IsAdmin()) return q;
        var org = user.OrganizationId();
        return q.Where(w => w.OrganizationId == org);
    }

    private static async Task<Results<Created<WorkerResponse>, ValidationProblem, ProblemHttpResult>> Create(
        CreateWorkerRequest body, ClaimsPrincipal user, InventoryDbContext db, IOptions<InventoryOptions> options, TimeProvider clock, CancellationToken ct)
    {
        var v = new Validator();
        WorkerRules.CheckName(v, body.Name, required: true);
        WorkerRules.CheckZone(v, body.Zone);
        WorkerRules.CheckLabels(v, body.Labels);
        WorkerRules.CheckRoles(v, body.Role);
        WorkerRules.CheckMaxVms(v, body.MaxVms);
        if (v.Failed) return v.Problem();
        var org = user.OrganizationId();
        if (org == Guid.Empty) return Problems.Forbidden("Only a member of an organisation can create workers.");

        var now = clock.GetUtcNow();
        var worker = new Worker
        {
            Id = ServiceDefaults.Data.NewId.Next(),
            OrganizationId = org,
            CreatedBy = user.UserId(),
            Name = body.Name!.Trim(),
            Zone = body.Zone ?? WorkerRules.DefaultZone,
            Labels = body.Labels ?? [],
            Roles = body.Role ?? ["worker"],
            MaxVms = body.MaxVms ?? WorkerRules.DefaultMaxVms,
            Status = WorkerStatus.Pending,
            StatusChangedAt = now,
            CreatedAt = now,
            UpdatedAt = now,
            Version = 1,
        };
        db.Workers.Add(worker);
        db.Publish(new WorkerCreated(worker.ToSnapshot(), now));
        await db.SaveChangesAsync(ct);
        return TypedResults.Created($"/api/v1/workers/{worker.Id}", worker.ToResponse(now, options.Value.OfflineTimeout));
    }

    private static async Task<Results<Ok<WorkerList>, ValidationProblem>> List(
        string? zone, string? status, string[]? label, string? page, string? limit,
        ClaimsPrincipal user, InventoryDbContext db, IOptions<InventoryOptions> options, TimeProvider clock, CancellationToken ct)
    {
        var v = new Validator();
        var pageNo = ParsePositive(v, "page", page, 1);
        var size = ParsePositive(v, "limit", limit, DefaultLimit);
        // Refused rather than quietly capped, as every list of the API does: a client asking for more must page.
        v.Require(size <= MaxLimit, "limit", $"must be at most {MaxLimit}");
        var known = new[] { WorkerStatus.Pending, WorkerStatus.Installing, WorkerStatus.Active, WorkerStatus.Offline, WorkerStatus.Draining, WorkerStatus.Maintenance };
        if (status is not null) v.Require(known.Contains(status), "status", $"must be one of {string.Join(", ", known)}");
        var wanted = new Dictionary<string, string>();
        foreach (var l in label ?? [])
        {
            var eq = l.IndexOf('=');
            if (eq <= 0 || !WorkerRules.LabelKey().IsMatch(l[..eq])) v.Add("label", $"'{l}' must be key=value");
            else wanted[l[..eq]] = l[(eq + 1)..];
        }
        if (v.Failed) return v.Problem();

        IQueryable<Worker> q = wanted.Count == 0
            ? db.Workers
            : db.Workers.FromSql($"SELECT * FROM workers WHERE labels @> {JsonSerializer.Serialize(wanted)}::jsonb");
        q = q.AsNoTracking().Visible(user);
        if (zone is not null) q = q.Where(w => w.Zone == zone);
        if (status is not null) q = q.Where(w => w.Status == status);

        var total = await q.CountAsync(ct);
        var rows = await q.Include(w => w.Desired).OrderBy(w => w.CreatedAt).ThenBy(w => w.Id)
            .Skip((int)Math.Min((long)(pageNo - 1) * size, int.MaxValue)).Take(size).ToListAsync(ct);
        var now = clock.GetUtcNow();
        return TypedResults.Ok(new WorkerList(rows.Select(w => w.ToResponse(now, options.Value.OfflineTimeout)).ToList(), total, pageNo, size));
    }

    private static int ParsePositive(Validator v, string field, string? raw, int fallback)
    {
        if (raw is null) return fallback;
        if (int.TryParse(raw, out var n) && n >= 1) return n;
        v.Add(field, "must be a whole number of at least 1");
        return fallback;
    }

    private static async Task<Results<Ok<WorkerResponse>, ProblemHttpResult>> Get(
        Guid id, ClaimsPrincipal user, InventoryDbContext db, IOptions<InventoryOptions> options, TimeProvider clock, CancellationToken ct)
    {
        var w = await db.FindVisibleAsync(id, user, ct, track: false);
        return w is null ? Problems.NotFound("Worker") : TypedResults.Ok(w.ToResponse(clock.GetUtcNow(), options.Value.OfflineTimeout));
    }

    private static async Task<Results<Ok<WorkerResponse>, ValidationProblem, ProblemHttpResult>> Update(
        Guid id, UpdateWorkerRequest body, ClaimsPrincipal user, InventoryDbContext db, IOptions<InventoryOptions> options, TimeProvider clock, CancellationToken ct)
    {
        var v = new Validator();
        WorkerRules.CheckName(v, body.Name, required: false);
        WorkerRules.CheckZone(v, body.Zone);
        WorkerRules.CheckLabels(v, body.Labels);
        WorkerRules.CheckMaxVms(v, body.MaxVms);
        if (v.Failed) return v.Problem();

        var now = clock.GetUtcNow();
        var w = await db.RetryOnConflictAsync(async () =>
        {
            var w = await db.FindVisibleAsync(id, user, ct);
            if (w is null) return null;
            var before = JsonSerializer.Serialize(w.ToSnapshot() with { Version = 0 });
            if (body.Name is not null) w.Name = body.Name.Trim();
            if (body.Zone is not null) w.Zone = body.Zone;
            if (body.Labels is not null) w.Labels = body.Labels;
            if (body.MaxVms is not null) w.MaxVms = body.MaxVms.Value;
            if (JsonSerializer.Serialize(w.ToSnapshot() with { Version = 0 }) != before)
            {
                // Name, zone, labels and max_vms are what placement reads: the scheduler gets the new snapshot.
                w.Touch(now);
                db.Publish(new WorkerCapacityChanged(w.ToSnapshot(), now));
                await db.SaveChangesAsync(ct);
            }
            return w;
        });
        return w is null ? Problems.NotFound("Worker") : TypedResults.Ok(w.ToResponse(now, options.Value.OfflineTimeout));
    }

    private static async Task<Results<Ok<DeleteWorkerResponse>, ProblemHttpResult>> Delete(
        Guid id, ClaimsPrincipal user, InventoryDbContext db, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var w = await db.RetryOnConflictAsync(async () =>
        {
            var w = await db.FindVisibleAsync(id, user, ct);
            if (w is null) return null;
            w.MoveTo(WorkerStatus.Deleted, "deleted", now);
            w.DeletedAt = now;
            w.SessionId = null;
            db.Publish(new RevokeWorkerTokens(w.Id, w.OrganizationId, "worker deleted"));
            db.Publish(new WorkerDeleted(w.ToSnapshot(), now));
            await db.SaveAndNotifyAsync(SessionNotices.CloseChannel, SessionNotices.CloseWorker(w.Id, Contracts.Agent.AckErrorCodes.TokenRevoked), ct);
            return w;
        });
        return w is null
            ? Problems.NotFound("Worker")
            : TypedResults.Ok(new DeleteWorkerResponse(w.Id, WorkerStatus.Deleted, "Worker deleted; its tokens are revoked and its agent disconnected."));
    }
}
