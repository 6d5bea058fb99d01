using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Aetherium.Testing.System;

namespace Aetherium.EndToEnd.Tests.Probe;

/// <summary>Who an operation is for; each principal's expected answer follows from it (<see cref="Catalogue.Expected"/>).</summary>
public enum Access
{
    /// <summary>Needs no token (sign-in, discovery, health): every principal gets the same answer.</summary>
    Open,
    /// <summary>Users and the platform admin (the tenant policy); a worker's or a service's token is refused.</summary>
    Tenant,
    /// <summary>As Tenant, aimed at organisation A's resource: A and the admin reach it, B gets 404.</summary>
    Owner,
    /// <summary>The platform admin only.</summary>
    Admin,
    /// <summary>A worker's token only (the agent's protocol): anything else is INVALID_TOKEN, 401.</summary>
    Agent,
    /// <summary>The agent's package: the worker's install script and its owner; not services.</summary>
    AgentPackage,
}

/// <summary>
/// The request to send: the path's id (every template parameter is an id; SubId, where given, goes in the
/// parameters after the first, as a worker's token), a query string, a JSON body.
/// </summary>
public sealed record Call(string? Id = null, string? Query = null, string? Body = null, string? SubId = null);

/// <summary>An operation's access, what a caller that may use it gets, and how to make a valid request (fresh resources where it uses one up).</summary>
public sealed record Rule(Access Access, int[] Allowed, Func<Cast, Task<Call>> Make);

/// <summary>One operation of the aggregated OpenAPI document.</summary>
public sealed partial record Operation(string Method, string Template, JsonObject Spec)
{
    public string Key => $"{Method} {Template.TrimEnd('/')}";

    public string Path(string? id, string? subId = null)
    {
        var first = true;
        return TemplateParameter().Replace(Template, _ =>
        {
            var value = first ? id : subId ?? id;
            first = false;
            return value ?? "";
        });
    }

    /// <summary>Names of the query parameters the document declares.</summary>
    public IEnumerable<string> QueryParameters => (Spec["parameters"]?.AsArray() ?? [])
        .Where(p => p?["in"]?.GetValue<string>() == "query").Select(p => p!["name"]!.GetValue<string>());

    public static async Task<IReadOnlyList<Operation>> ReadAsync(HttpClient gateway)
    {
        var document = await Api.ReadAsync(await gateway.GetAsync("/openapi/v1.json"), 200);
        if (document["x-missing-services"] is { } missing) throw new InvalidOperationException("the document misses " + missing.ToJsonString());
        return document["paths"]!.AsObject()
            .SelectMany(p => p.Value!.AsObject()
                .Where(o => o.Key is "get" or "put" or "post" or "delete" or "patch")
                .Select(o => new Operation(o.Key.ToUpperInvariant(), p.Key, o.Value!.AsObject())))
            .ToList();
    }

    [GeneratedRegex(@"\{[^}]+\}")]
    private static partial Regex TemplateParameter();
}

/// <summary>
/// The authorization table: every operation the gateway serves, with who may call it. An operation of the
/// document missing here fails the matrix test, so a new route cannot ship without a declared policy.
/// </summary>
public static class Catalogue
{
    private static Task<Call> Plain(string? id = null, string? query = null, object? body = null) =>
        Task.FromResult(new Call(id, query, body is null ? null : Cast.Json(body)));

    public static readonly IReadOnlyDictionary<string, Rule> Rules = new Dictionary<string, Rule>
    {
        // gateway
        ["GET /health"] = new(Access.Open, [200], _ => Plain()),
        ["GET /alive"] = new(Access.Open, [200], _ => Plain()),
        ["GET /api/v1/events"] = new(Access.Tenant, [200], _ => Plain()),
        // a plain GET where the WebSocket transport is expected: refused by SignalR once the caller is let in
        ["GET /api/v1/hub"] = new(Access.Tenant, [400], _ => Plain()),
        // identity
        ["POST /api/v1/auth/signup"] = new(Access.Open, [201], _ => Plain(body: new { username = Cast.Unique("probe"), password = Cast.Password })),
        ["POST /api/v1/auth/login"] = new(Access.Open, [200], c => Plain(body: new { username = c.A.Username, password = Cast.Password })),
        ["POST /api/v1/auth/refresh"] = new(Access.Open, [200], async c => new Call(Body: Cast.Json(new { refresh_token = await c.RefreshTokenAsync() }))),
        ["POST /api/v1/auth/logout"] = new(Access.Open, [204], async c => new Call(Body: Cast.Json(new { refresh_token = await c.RefreshTokenAsync() }))),
        ["GET /api/v1/auth/wallet/challenge"] = new(Access.Open, [200], _ => Plain(query: "address=0x" + new string('a', 40))),
        ["POST /api/v1/auth/wallet"] = new(Access.Open, [200], async c => new Call(Body: await c.WalletSignInAsync())),
        ["POST /api/v1/auth/keys/rotate"] = new(Access.Admin, [200], _ => Plain()),
        ["GET /.well-known/openid-configuration"] = new(Access.Open, [200], _ => Plain()),
        ["GET /.well-known/jwks.json"] = new(Access.Open, [200], _ => Plain()),
        ["POST /api/v1/organizations/invites"] = new(Access.Tenant, [201], _ => Plain(body: new { })),
        ["GET /api/v1/users/me"] = new(Access.Tenant, [200], _ => Plain()),
        ["GET /api/v1/users"] = new(Access.Admin, [200], _ => Plain()),
        ["PUT /api/v1/users/{id}/roles"] = new(Access.Admin, [200], c => Plain(c.A.UserId.ToString(), body: new { roles = new[] { "user" } })),
        ["GET /api/v1/worker-tokens"] = new(Access.Tenant, [200], _ => Plain()),
        ["POST /api/v1/worker-tokens/{id}/revoke"] = new(Access.Owner, [200], async c => new Call((await c.NewWorkerTokenAsync(await c.NewWorkerAsync())).TokenId)),
        // inventory
        ["POST /api/v1/workers"] = new(Access.Tenant, [201], _ => Plain(body: new { name = Cast.Unique("w") })),
        ["GET /api/v1/workers"] = new(Access.Tenant, [200], _ => Plain()),
        ["GET /api/v1/workers/{id}"] = new(Access.Owner, [200], c => Plain(c.WorkerId)),
        ["PUT /api/v1/workers/{id}"] = new(Access.Owner, [200], c => Plain(c.WorkerId, body: new { max_vms = 10 })),
        ["DELETE /api/v1/workers/{id}"] = new(Access.Owner, [200], async c => new Call(await c.NewWorkerAsync())),
        ["POST /api/v1/workers/{id}/token"] = new(Access.Owner, [200], async c => new Call(await c.NewWorkerAsync(), Body: "{}")),
        ["GET /api/v1/workers/{id}/tokens"] = new(Access.Owner, [200], c => Plain(c.WorkerId)),
        ["POST /api/v1/workers/{id}/tokens/{tokenId}/revoke"] = new(Access.Owner, [200], async c =>
        {
            var worker = await c.NewWorkerAsync();
            return new Call(worker, SubId: (await c.NewWorkerTokenAsync(worker)).TokenId);
        }),
        ["POST /api/v1/workers/{id}/drain"] = new(Access.Owner, [200], async c => new Call(await c.NewActiveWorkerAsync(), Body: "{}")),
        // a registered worker is active: activate answers that there is nothing to do, once the caller is let in
        ["POST /api/v1/workers/{id}/activate"] = new(Access.Owner, [409], c => Plain(c.WorkerId)),
        ["POST /api/v1/workers/{id}/maintenance"] = new(Access.Owner, [200], async c => new Call(await c.NewActiveWorkerAsync())),
        ["GET /api/v1/workers/{id}/vms"] = new(Access.Owner, [200], c => Plain(c.WorkerId)),
        ["GET /api/v1/workers/{id}/metrics"] = new(Access.Owner, [200], c => Plain(c.WorkerId)),
        ["GET /api/v1/cluster/stats"] = new(Access.Tenant, [200], _ => Plain()),
        ["GET /api/v1/cluster/distribution"] = new(Access.Tenant, [200], _ => Plain()),
        ["GET /api/v1/system/stats"] = new(Access.Tenant, [200], _ => Plain()),
        ["GET /api/v1/agent/connect"] = new(Access.Agent, [101], _ => Plain()),
        ["POST /api/v1/agent/register"] = new(Access.Agent, [200], _ => Task.FromResult(new Call(Body: Cast.RegisterBody()))),
        ["POST /api/v1/agent/heartbeat"] = new(Access.Agent, [200], _ => Task.FromResult(new Call(Body: Cast.HeartbeatBody()))),
        ["POST /api/v1/agent/metrics"] = new(Access.Agent, [202], _ => Task.FromResult(new Call(Body: Cast.MetricsBody()))),
        ["POST /api/v1/agent/goodbye"] = new(Access.Agent, [204], _ => Plain()),
        ["GET /api/v1/agent/package"] = new(Access.AgentPackage, [200, 404], _ => Plain()),
        // scheduler
        ["POST /api/v1/vms"] = new(Access.Tenant, [202], _ => Plain(body: Cast.VmBody())),
        ["GET /api/v1/vms"] = new(Access.Tenant, [200], _ => Plain()),
        ["GET /api/v1/vms/{id}"] = new(Access.Owner, [200], c => Plain(c.VmId)),
        ["DELETE /api/v1/vms/{id}"] = new(Access.Owner, [202], async c => new Call(await c.NewVmAsync())),
        ["POST /api/v1/vms/{id}/action"] = new(Access.Owner, [202, 409], async c => new Call(await c.NewVmAsync(), Body: Cast.Json(new { action = "stop" }))),
        ["GET /api/v1/images"] = new(Access.Tenant, [200], _ => Plain()),
        ["GET /api/v1/scheduler/workers"] = new(Access.Admin, [200], _ => Plain()),
        // lease
        ["POST /api/v1/leases"] = new(Access.Tenant, [201], _ => Plain(body: new { duration_hours = 1, count = 1 })),
        ["GET /api/v1/leases"] = new(Access.Tenant, [200], _ => Plain()),
        ["GET /api/v1/leases/{id}"] = new(Access.Owner, [200], c => Plain(c.LeaseId)),
        ["POST /api/v1/leases/{id}/extend"] = new(Access.Owner, [200], c => Plain(c.LeaseId, body: new { additional_hours = 1 })),
        ["POST /api/v1/leases/{id}/release"] = new(Access.Owner, [200], async c => new Call(await c.NewLeaseAsync())),
        ["GET /api/v1/pricing"] = new(Access.Tenant, [200], _ => Plain()),
        ["GET /api/v1/usage"] = new(Access.Tenant, [200], _ => Plain(query: "from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z")),
    };

    /// <summary>The statuses a principal may get from an operation with this rule.</summary>
    public static int[] Expected(Rule rule, Cast cast, Principal who) => rule.Access switch
    {
        Access.Open => rule.Allowed,
        Access.Agent => who == cast.Worker ? rule.Allowed : [401],
        _ when who == cast.Anonymous => [401],
        Access.AgentPackage => who == cast.Service ? [403] : rule.Allowed,
        _ when who == cast.Worker || who == cast.Service => [403],
        Access.Tenant => rule.Allowed,
        Access.Owner => who == cast.UserB ? [404] : rule.Allowed,
        Access.Admin => who == cast.Admin ? rule.Allowed : [403],
        _ => throw new ArgumentOutOfRangeException(nameof(rule)),
    };
}
