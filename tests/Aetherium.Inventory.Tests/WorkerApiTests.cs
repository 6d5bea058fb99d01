using System.Net;
using System.Text.Json.Nodes;
using Aetherium.Contracts;
using Aetherium.Testing;
using Xunit;

namespace Aetherium.Inventory.Tests;

public sealed class WorkerApiTests(InventoryFixture fx) : IClassFixture<InventoryFixture>
{
    [Fact]
    public async Task A_created_worker_is_pending_owned_by_the_callers_organisation_and_announced()
    {
        var tenant = Tenant.New();
        using var api = fx.Factory.As(tenant.Token);

        var response = await api.PostJsonAsync("/api/v1/workers", new { name = "GPU-Worker-01", zone = "us-west-1a", labels = new { env = "production" }, role = new[] { "worker" }, max_vms = 8 });
        var w = await response.JsonAsync(HttpStatusCode.Created);

        var id = Guid.Parse((string)w["id"]!);
        Assert.Equal($"/api/v1/workers/{id}", response.Headers.Location?.OriginalString);
        Assert.Equal("pending", (string)w["status"]!);
        Assert.Equal("GPU-Worker-01", (string)w["name"]!);
        Assert.Equal("us-west-1a", (string)w["zone"]!);
        Assert.Equal("production", (string)w["labels"]!["env"]!);
        Assert.Equal(8, (int)w["max_vms"]!);
        Assert.Equal(tenant.OrganizationId, Guid.Parse((string)w["organization_id"]!));
        Assert.False((bool)w["is_healthy"]!);
        Assert.False((bool)w["websocket_connected"]!);

        var created = await fx.Bus.WaitForAsync<WorkerCreated>(e => e.Worker.WorkerId == id);
        Assert.Equal(tenant.OrganizationId, created.Worker.OrganizationId);
        Assert.Equal(WorkerStatus.Pending, created.Worker.Status);
        Assert.Equal(8, created.Worker.MaxVms);
        Assert.Equal(1, created.Worker.Version);
    }

    [Fact]
    public async Task Defaults_are_zone_default_role_worker_and_100_vms()
    {
        using var api = fx.Factory.As(Tenant.New().Token);
        var w = await (await api.PostJsonAsync("/api/v1/workers", new { name = "plain" })).JsonAsync(HttpStatusCode.Created);
        Assert.Equal("default", (string)w["zone"]!);
        Assert.Equal(["worker"], w["role"]!.AsArray().Select(r => (string)r!));
        Assert.Equal(100, (int)w["max_vms"]!);
        Assert.Empty(w["labels"]!.AsObject());
    }

    [Fact]
    public async Task Bad_input_answers_400_with_field_errors_and_creates_nothing()
    {
        var tenant = Tenant.New();
        using var api = fx.Factory.As(tenant.Token);

        var problem = await (await api.PostJsonAsync("/api/v1/workers", new
        {
            name = "",
            zone = "Not A Zone!",
            labels = new Dictionary<string, string> { ["bad key!"] = "x" },
            role = new[] { "wizard" },
            max_vms = 0,
        })).ProblemAsync(HttpStatusCode.BadRequest);
        var errors = problem["errors"]!.AsObject();
        foreach (var field in new[] { "name", "zone", "labels", "role", "max_vms" })
            Assert.True(errors.ContainsKey(field), $"no error for {field}: {problem}");

        await (await api.PostJsonAsync("/api/v1/workers", new { zone = "us-east-1" })).ProblemAsync(HttpStatusCode.BadRequest);
        var malformed = new StringContent("{\"name\": 42", System.Text.Encoding.UTF8, "application/json");
        await (await api.PostAsync("/api/v1/workers", malformed)).ProblemAsync(HttpStatusCode.BadRequest);
        var wrongType = new StringContent("{\"name\":\"x\",\"max_vms\":\"many\"}", System.Text.Encoding.UTF8, "application/json");
        await (await api.PostAsync("/api/v1/workers", wrongType)).ProblemAsync(HttpStatusCode.BadRequest);

        var list = await (await api.GetAsync("/api/v1/workers")).JsonAsync();
        Assert.Equal(0, (int)list["total"]!);
    }

    [Fact]
    public async Task Another_organisations_worker_answers_404_everywhere_and_admins_see_all()
    {
        var a = Tenant.New();
        var b = Tenant.New();
        using var apiA = fx.Factory.As(a.Token);
        using var apiB = fx.Factory.As(b.Token);
        var id = await apiA.CreateWorkerAsync("a-worker");

        var probes = new (HttpMethod Method, string Url, object? Body)[]
        {
            (HttpMethod.Get, $"/api/v1/workers/{id}", null),
            (HttpMethod.Put, $"/api/v1/workers/{id}", new { name = "mine now" }),
            (HttpMethod.Delete, $"/api/v1/workers/{id}", null),
            (HttpMethod.Post, $"/api/v1/workers/{id}/token", new { }),
            (HttpMethod.Post, $"/api/v1/workers/{id}/drain", new { }),
            (HttpMethod.Post, $"/api/v1/workers/{id}/activate", new { }),
            (HttpMethod.Post, $"/api/v1/workers/{id}/maintenance", new { }),
            (HttpMethod.Get, $"/api/v1/workers/{id}/vms", null),
            (HttpMethod.Get, $"/api/v1/workers/{id}/metrics", null),
            (HttpMethod.Get, $"/api/v1/nodes/{id}", null),
        };
        foreach (var (method, url, body) in probes)
        {
            var request = new HttpRequestMessage(method, url);
            if (body is not null) request.Content = System.Net.Http.Json.JsonContent.Create(body);
            var response = await apiB.SendAsync(request);
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{method} {url} answered {(int)response.StatusCode} to another tenant");
        }
        Assert.DoesNotContain(fx.Factory.Identity.Requests, r => r.WorkerId == id);
        Assert.Equal(0, (int)(await (await apiB.GetAsync("/api/v1/workers")).JsonAsync())["total"]!);
        Assert.Equal("a-worker", (string)(await apiA.WorkerAsync(id))["name"]!);

        using var admin = fx.Factory.As(TestTokens.Admin());
        var all = await (await admin.GetAsync("/api/v1/workers?limit=500")).JsonAsync();
        Assert.Contains(all["workers"]!.AsArray(), w => (string)w!["id"]! == id.ToString());
        Assert.Equal("a-worker", (string)(await admin.WorkerAsync(id))["name"]!);
    }

    [Fact]
    public async Task The_list_filters_by_zone_status_and_labels_and_pages()
    {
        using var api = fx.Factory.As(Tenant.New().Token);
        var w1 = await api.CreateWorkerAsync("w1", "us-west-1a", new() { ["env"] = "prod", ["tier"] = "compute" });
        var w2 = await api.CreateWorkerAsync("w2", "us-west-1a", new() { ["env"] = "dev" });
        var w3 = await api.CreateWorkerAsync("w3", "us-east-1a", new() { ["env"] = "prod" });
        await api.CreateWorkerAsync("w4", "us-east-1a");
        await api.CreateWorkerAsync("w5", "eu-central-1a");
        await (await api.PostJsonAsync($"/api/v1/workers/{w3}/drain", new { })).JsonAsync(HttpStatusCode.Conflict); // still pending

        async Task<List<string>> Names(string query)
        {
            var list = await (await api.GetAsync("/api/v1/workers" + query)).JsonAsync();
            var names = list["workers"]!.AsArray().Select(w => (string)w!["name"]!).ToList();
            Assert.True((int)list["total"]! >= names.Count);
            return names;
        }

        Assert.Equal(["w1", "w2"], await Names("?zone=us-west-1a"));
        Assert.Equal(["w1", "w3"], await Names("?label=env=prod"));
        Assert.Equal(["w1"], await Names("?label=env=prod&label=tier=compute"));
        Assert.Equal(["w3"], await Names("?label=env=prod&zone=us-east-1a"));
        Assert.Equal(5, (await Names("?status=pending")).Count);
        Assert.Empty(await Names("?status=active"));

        var page2 = await (await api.GetAsync("/api/v1/workers?page=2&limit=2")).JsonAsync();
        Assert.Equal(5, (int)page2["total"]!);
        Assert.Equal(2, (int)page2["page"]!);
        Assert.Equal(2, (int)page2["limit"]!);
        Assert.Equal(["w3", "w4"], page2["workers"]!.AsArray().Select(w => (string)w!["name"]!));
        Assert.Equal(500, (int)(await (await api.GetAsync("/api/v1/workers?limit=500")).JsonAsync())["limit"]!);

        foreach (var bad in new[] { "?limit=501", "?limit=100000", "?page=0", "?limit=-1", "?page=x", "?status=sleeping", "?label=novalue", "?label==x" })
            await (await api.GetAsync("/api/v1/workers" + bad)).ProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains(w2.ToString(), (await (await api.GetAsync("/api/v1/workers?label=env=dev")).Content.ReadAsStringAsync()));
        _ = w1;
    }

    [Fact]
    public async Task Update_changes_name_labels_zone_and_max_vms_and_tells_the_scheduler()
    {
        using var api = fx.Factory.As(Tenant.New().Token);
        var id = await api.CreateWorkerAsync("before", "us-west-1a", new() { ["env"] = "dev" });

        var updated = await (await api.PutJsonAsync($"/api/v1/workers/{id}", new { name = "after", zone = "us-west-1b", labels = new { env = "prod" }, max_vms = 12 })).JsonAsync();
        Assert.Equal("after", (string)updated["name"]!);
        Assert.Equal("us-west-1b", (string)updated["zone"]!);
        Assert.Equal("prod", (string)updated["labels"]!["env"]!);
        Assert.Equal(12, (int)updated["max_vms"]!);

        var changed = await fx.Bus.WaitForAsync<WorkerCapacityChanged>(e => e.Worker.WorkerId == id);
        Assert.Equal(2, changed.Worker.Version);
        Assert.Equal(12, changed.Worker.MaxVms);
        Assert.Equal("us-west-1b", changed.Worker.Zone);

        // Only the fields given change.
        var renamed = await (await api.PutJsonAsync($"/api/v1/workers/{id}", new { name = "again" })).JsonAsync();
        Assert.Equal("us-west-1b", (string)renamed["zone"]!);
        Assert.Equal(12, (int)renamed["max_vms"]!);

        await (await api.PutJsonAsync($"/api/v1/workers/{id}", new { max_vms = 0 })).ProblemAsync(HttpStatusCode.BadRequest);
        Assert.Equal(12, (int)(await api.WorkerAsync(id))["max_vms"]!);
        await (await api.PutJsonAsync($"/api/v1/workers/{Guid.NewGuid()}", new { name = "ghost" })).ProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Delete_is_a_soft_delete_that_revokes_the_tokens_and_announces_it()
    {
        var tenant = Tenant.New();
        using var api = fx.Factory.As(tenant.Token);
        var id = await api.CreateWorkerAsync("doomed");

        var deleted = await (await api.DeleteAsync($"/api/v1/workers/{id}")).JsonAsync();
        Assert.Equal("deleted", (string)deleted["status"]!);

        var revoke = await fx.Bus.WaitForAsync<RevokeWorkerTokens>(c => c.WorkerId == id);
        Assert.Equal(tenant.OrganizationId, revoke.OrganizationId);
        var gone = await fx.Bus.WaitForAsync<WorkerDeleted>(e => e.Worker.WorkerId == id);
        Assert.Equal(WorkerStatus.Deleted, gone.Worker.Status);
        await (await api.GetAsync($"/api/v1/workers/{id}")).ProblemAsync(HttpStatusCode.NotFound);
        await (await api.DeleteAsync($"/api/v1/workers/{id}")).ProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal(0, (int)(await (await api.GetAsync("/api/v1/workers")).JsonAsync())["total"]!);
    }

    [Fact]
    public async Task Nodes_is_an_alias_of_workers()
    {
        using var api = fx.Factory.As(Tenant.New().Token);
        var created = await (await api.PostJsonAsync("/api/v1/nodes", new { name = "via-nodes" })).JsonAsync(HttpStatusCode.Created);
        var id = (string)created["id"]!;
        Assert.Equal("via-nodes", (string)(await (await api.GetAsync($"/api/v1/workers/{id}")).JsonAsync())["name"]!);
        var viaNodes = await (await api.GetAsync("/api/v1/nodes")).JsonAsync();
        Assert.Single(viaNodes["workers"]!.AsArray());
        await (await api.PostJsonAsync($"/api/v1/nodes/{id}/activate", new { })).ProblemAsync(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task The_portal_api_needs_a_user_and_refuses_worker_tokens()
    {
        using var anonymous = fx.Factory.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/v1/workers")).StatusCode);
        var tenant = Tenant.New();
        using var agent = fx.Factory.As(TestTokens.Worker(Guid.NewGuid(), tenant.OrganizationId));
        Assert.Equal(HttpStatusCode.Forbidden, (await agent.GetAsync("/api/v1/workers")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await agent.GetAsync("/api/v1/cluster/stats")).StatusCode);
    }
}
