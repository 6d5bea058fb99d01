using System.Net.Http.Json;
using Aetherium.AppHost;
using Aetherium.Testing.System;
using Microsoft.IdentityModel.JsonWebTokens;
using Xunit;

namespace Aetherium.Gateway.Tests;

/// <summary>
/// Every area of the public API (DESIGN §5) reached through the gateway: a real call answered with what a
/// user would see, and, from the services' own traces, forwarded to the service that owns the area.
/// Each test signs up a tenant of its own (the fixture's API limit is per client).
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class RoutingTests(GatewayFixture system)
{
    private const string Identity = AetheriumModel.Identity, Inventory = AetheriumModel.Inventory,
        Scheduler = AetheriumModel.Scheduler, Lease = AetheriumModel.Lease;

    private async Task<(Api.Tenant Tenant, HttpClient Http, Traced Traced)> SignedInAsync()
    {
        using var anonymous = system.Gateway();
        var tenant = await Api.NewTenantAsync(anonymous);
        var http = system.Gateway(tenant.AccessToken);
        return (tenant, http, new Traced(system.App, http));
    }

    [Fact]
    public async Task Auth_signs_up_signs_in_refreshes_and_logs_out_at_identity()
    {
        using var anonymous = system.Gateway();
        var traced = new Traced(system.App, anonymous);
        var username = $"auth-{Guid.NewGuid():N}"[..20];
        var created = await Api.ReadAsync(await traced.PostAsync("/api/v1/auth/signup", new { username, password = "correct-horse-battery" }, Identity), 201);
        Assert.Equal(username, created["username"]!.GetValue<string>());

        var login = await Api.ReadAsync(await traced.PostAsync("/api/v1/auth/login", new { username, password = "correct-horse-battery" }, Identity), 200);
        var access = new JsonWebToken(login["access_token"]!.GetValue<string>());
        Assert.Equal(created["user_id"]!.GetValue<string>(), access.Subject);
        var refreshToken = login["refresh_token"]!.GetValue<string>();

        var refreshed = await Api.ReadAsync(await traced.PostAsync("/api/v1/auth/refresh", new { refresh_token = refreshToken }, Identity), 200);
        Assert.Equal(access.Subject, new JsonWebToken(refreshed["access_token"]!.GetValue<string>()).Subject);
        Assert.NotEqual(refreshToken, refreshed["refresh_token"]!.GetValue<string>());

        var logout = await traced.PostAsync("/api/v1/auth/logout", new { refresh_token = refreshed["refresh_token"]!.GetValue<string>() }, Identity);
        Assert.True(logout.IsSuccessStatusCode, $"logout answered {(int)logout.StatusCode}");
        var afterLogout = await traced.PostAsync("/api/v1/auth/refresh", new { refresh_token = refreshed["refresh_token"]!.GetValue<string>() }, Identity);
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, afterLogout.StatusCode);

        var challenge = await Api.ReadAsync(await traced.GetAsync("/api/v1/auth/wallet/challenge?address=0x70997970C51812dc3A010C7d01b50e0d17dc79C8", Identity), 200);
        Assert.Contains("0x70997970C51812dc3A010C7d01b50e0d17dc79C8", challenge.ToJsonString());
        await traced.AssertServedAsync();
    }

    [Fact]
    public async Task Users_and_organizations_are_served_by_identity()
    {
        var (tenant, http, traced) = await SignedInAsync();
        var me = await Api.ReadAsync(await traced.GetAsync("/api/v1/users/me", Identity), 200);
        Assert.Equal(tenant.Username, me["username"]!.GetValue<string>());

        // An invite from this organisation signs a colleague up into it.
        var invite = await Api.ReadAsync(await traced.PostAsync("/api/v1/organizations/invites", new { }, Identity), 201);
        Assert.Equal(tenant.OrganizationId.ToString(), invite["organization_id"]!.GetValue<string>());
        using var anonymous = system.Gateway();
        var colleague = await Api.ReadAsync(await anonymous.PostAsJsonAsync("/api/v1/auth/signup",
            new { username = $"colleague-{Guid.NewGuid():N}"[..24], password = "correct-horse-battery", invite_code = invite["invite_code"]!.GetValue<string>() }, Api.Json), 201);
        Assert.Equal(tenant.OrganizationId.ToString(), colleague["organization_id"]!.GetValue<string>());
        await traced.AssertServedAsync();
    }

    [Fact]
    public async Task Workers_their_nodes_alias_and_cluster_views_are_served_by_inventory()
    {
        var (_, http, traced) = await SignedInAsync();
        var worker = await Api.ReadAsync(await traced.PostAsync("/api/v1/workers", new { name = "routing-box", zone = "eu-1" }, Inventory), 201);
        var id = worker["id"]!.GetValue<string>();
        Assert.Equal("pending", worker["status"]!.GetValue<string>());

        var list = await Api.ReadAsync(await traced.GetAsync("/api/v1/workers?zone=eu-1", Inventory), 200);
        Assert.Equal([id], list["workers"]!.AsArray().Select(w => w!["id"]!.GetValue<string>()));
        var alias = await Api.ReadAsync(await traced.GetAsync($"/api/v1/nodes/{id}", Inventory), 200);
        Assert.Equal("routing-box", alias["name"]!.GetValue<string>());

        // The tenant's own cluster: the one pending worker just created.
        var stats = await Api.ReadAsync(await traced.GetAsync("/api/v1/cluster/stats", Inventory), 200);
        Assert.Equal(1, stats["total_workers"]!.GetValue<int>());
        Assert.Equal(1, stats["pending_workers"]!.GetValue<int>());
        var distribution = await Api.ReadAsync(await traced.GetAsync("/api/v1/cluster/distribution", Inventory), 200);
        Assert.Equal(id, distribution["distribution"]![0]!["worker_id"]!.GetValue<string>());
        var systemStats = await Api.ReadAsync(await traced.GetAsync("/api/v1/system/stats", Inventory), 200);
        Assert.Equal(1, systemStats["total_workers"]!.GetValue<int>());
        await traced.AssertServedAsync();
    }

    [Fact]
    public async Task Worker_tokens_are_minted_for_a_worker_and_listed_by_identity_and_its_agent_socket_passes_the_gateway()
    {
        var (_, http, traced) = await SignedInAsync();
        var worker = await Api.ReadAsync(await http.PostAsJsonAsync("/api/v1/workers", new { name = "token-box", zone = "eu-1" }, Api.Json), 201);
        var id = worker["id"]!.GetValue<string>();
        var issued = await Api.ReadAsync(await traced.PostAsync($"/api/v1/workers/{id}/token", new { }, Inventory), 200);
        var token = issued["token"]!.GetValue<string>();
        Assert.Contains(system.App.GetUrl(AetheriumModel.Gateway), issued["install_script"]!.GetValue<string>());

        var tokens = await Api.ReadAsync(await traced.GetAsync($"/api/v1/worker-tokens?worker_id={id}", Identity), 200);
        var listed = Assert.Single(tokens["worker_tokens"]!.AsArray());
        Assert.Equal(issued["token_id"]!.GetValue<string>(), listed!["token_id"]!.GetValue<string>());
        Assert.Equal("active", listed["status"]!.GetValue<string>());

        // The agent's WebSocket, upgraded through the gateway, reaches inventory's agent session, which knows the worker.
        var traceParent = Traced.NewTraceParent(out _);
        var ack = await RawAgent.ConnectionAckAsync(new Uri(system.App.GetUrl(AetheriumModel.Gateway)), token,
            new Dictionary<string, string> { ["traceparent"] = traceParent });
        Assert.Equal("success", ack.Status);
        Assert.Equal(Guid.Parse(id), ack.WorkerId);
        Assert.False(string.IsNullOrEmpty(ack.ControllerId));
        traced.Expect(traceParent, "/api/v1/agent/connect", Inventory);
        await traced.AssertServedAsync();
    }

    [Fact]
    public async Task Vms_and_images_are_served_by_the_scheduler()
    {
        var (tenant, http, traced) = await SignedInAsync();
        var images = await Api.ReadAsync(await traced.GetAsync("/api/v1/images", Scheduler), 200);
        var debian = images["images"]!.AsArray().Single(i => i!["id"]!.GetValue<string>() == "debian-12");
        Assert.Equal("Debian 12 (bookworm)", debian!["name"]!.GetValue<string>());

        var vm = await Api.ReadAsync(await traced.PostAsync("/api/v1/vms", new { name = "routed-vm", spec = new { image_id = "debian-12" } }, Scheduler), 202); // accepted: placement follows
        var id = vm["id"]!.GetValue<string>();
        Assert.Equal(tenant.OrganizationId.ToString(), vm["organization_id"]!.GetValue<string>());
        var read = await Api.ReadAsync(await traced.GetAsync($"/api/v1/vms/{id}", Scheduler), 200);
        Assert.Equal("routed-vm", read["name"]!.GetValue<string>());
        Assert.Equal(1, read["spec"]!["cpu_cores"]!.GetValue<int>()); // the image's default size
        var list = await Api.ReadAsync(await traced.GetAsync("/api/v1/vms", Scheduler), 200);
        Assert.Equal([id], list["vms"]!.AsArray().Select(v => v!["id"]!.GetValue<string>()));
        await traced.AssertServedAsync();
    }

    [Fact]
    public async Task Leases_and_pricing_are_served_by_the_lease_service()
    {
        var (_, http, traced) = await SignedInAsync();
        var pricing = await Api.ReadAsync(await traced.GetAsync("/api/v1/pricing", Lease), 200);
        Assert.NotEmpty(pricing["tiers"]!.AsArray());
        Assert.All(pricing["tiers"]!.AsArray(), t => Assert.False(string.IsNullOrEmpty(t!["currency"]!.GetValue<string>())));

        var lease = await Api.ReadAsync(await traced.PostAsync("/api/v1/leases", new { duration_hours = 1, name = "routed-lease" }, Lease), 201);
        var id = lease["id"]!.GetValue<string>();
        var read = await Api.ReadAsync(await traced.GetAsync($"/api/v1/leases/{id}", Lease), 200);
        Assert.Equal("routed-lease", read["name"]!.GetValue<string>());
        var list = await Api.ReadAsync(await traced.GetAsync("/api/v1/leases", Lease), 200);
        Assert.Equal([id], list["leases"]!.AsArray().Select(l => l!["id"]!.GetValue<string>()));
        await traced.AssertServedAsync();
    }

    [Fact]
    public async Task Discovery_and_JWKS_are_served_by_identity_and_point_back_at_the_gateway()
    {
        var (tenant, _, _) = await SignedInAsync();
        using var anonymous = system.Gateway();
        var traced = new Traced(system.App, anonymous);
        var gateway = system.App.GetUrl(AetheriumModel.Gateway).TrimEnd('/');
        var discovery = await Api.ReadAsync(await traced.GetAsync("/.well-known/openid-configuration", Identity), 200);
        Assert.Equal("aetherium", discovery["issuer"]!.GetValue<string>());
        Assert.Equal(gateway + "/.well-known/jwks.json", discovery["jwks_uri"]!.GetValue<string>());

        // The key that signed the tenant's token is published.
        var jwks = await Api.ReadAsync(await traced.GetAsync("/.well-known/jwks.json", Identity), 200);
        Assert.Contains(new JsonWebToken(tenant.AccessToken).Kid, jwks["keys"]!.AsArray().Select(k => k!["kid"]!.GetValue<string>()));
        await traced.AssertServedAsync();
    }
}
