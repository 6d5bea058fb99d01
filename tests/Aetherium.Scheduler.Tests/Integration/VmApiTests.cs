using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Aetherium.Contracts;
using Aetherium.Scheduler.Vms;
using Aetherium.Testing;
using Xunit;

namespace Aetherium.Scheduler.Tests.Integration;

/// <summary>The VM API's edges: bad input, other tenants, lists, the image catalog, who may see the scheduler's view.</summary>
public sealed class VmApiTests(DefaultHost fixture) : IClassFixture<DefaultHost>
{
    private SchedulerHost Host => fixture.Host;

    public static TheoryData<string, string> BadRequests => new()
    {
        { """{"spec":{"image_id":"debian-12"}}""", "name" },
        { """{"name":"","spec":{"image_id":"debian-12"}}""", "name" },
        { """{"name":"has space","spec":{"image_id":"debian-12"}}""", "name" },
        { "{\"name\":\"" + new string('a', 64) + "\",\"spec\":{\"image_id\":\"debian-12\"}}", "name" },
        { """{"name":"vm"}""", "spec" },
        { """{"name":"vm","spec":{}}""", "spec.image_id" },
        { """{"name":"vm","spec":{"image_id":"windows-95"}}""", "spec.image_id" },
        { """{"name":"vm","spec":{"image_id":"debian-12","cpu_cores":0}}""", "spec.cpu_cores" },
        { """{"name":"vm","spec":{"image_id":"debian-12","cpu_cores":1000}}""", "spec.cpu_cores" },
        { """{"name":"vm","spec":{"image_id":"debian-12","memory_mb":1}}""", "spec.memory_mb" },
        { """{"name":"vm","spec":{"image_id":"debian-12","disk_gb":-5}}""", "spec.disk_gb" },
        { """{"name":"vm","spec":{"image_id":"debian-12","gpu_count":99}}""", "spec.gpu_count" },
        { """{"name":"vm","spec":{"image_id":"debian-12","zone":""}}""", "spec.zone" },
        { """{"name":"vm","spec":{"image_id":"debian-12","runtime":"firecracker"}}""", "spec.runtime" },
        { """{"name":"vm","spec":{"image_id":"debian-12","scoring":"random"}}""", "spec.scoring" },
        { "{\"name\":\"vm\",\"spec\":{\"image_id\":\"debian-12\",\"labels\":{\"env\":\"" + new string('x', 64) + "\"}}}", "spec.labels.env" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Bad_input_is_a_400_naming_the_field_and_creates_nothing(string body, string field)
    {
        var tenant = new Tenant(Host);
        using var response = await tenant.Http.PostAsync("/api/v1/vms", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.True(problem.RootElement.GetProperty("errors").TryGetProperty(field, out _), $"errors name {field}: {problem.RootElement}");
        var list = await tenant.Http.GetFromJsonAsync<VmList>("/api/v1/vms", Tenant.Json);
        Assert.Equal(0, list!.Total);
    }

    [Theory]
    [InlineData("{\"name\":")]
    [InlineData("{\"name\":\"vm\",\"spec\":{\"image_id\":\"debian-12\",\"cpu_cores\":\"two\"}}")]
    [InlineData("{\"name\":\"vm\",\"spec\":{\"image_id\":\"debian-12\",\"cpu_cores\":99999999999}}")]
    [InlineData("[]")]
    public async Task Malformed_json_and_wrong_types_are_a_400_not_a_500(string body)
    {
        var tenant = new Tenant(Host);
        using var response = await tenant.Http.PostAsync("/api/v1/vms", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Another_organisations_vm_is_not_found_and_untouched()
    {
        var owner = new Tenant(Host);
        var stranger = new Tenant(Host);
        var vm = await owner.CreateVmAsync("mine", new { image_id = "debian-12", zone = "nowhere" });

        using (var get = await stranger.Http.GetAsync($"/api/v1/vms/{vm.Id}")) Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        using (var delete = await stranger.Http.DeleteAsync($"/api/v1/vms/{vm.Id}")) Assert.Equal(HttpStatusCode.NotFound, delete.StatusCode);
        using (var act = await stranger.ActAsync(vm.Id, "stop")) Assert.Equal(HttpStatusCode.NotFound, act.StatusCode);
        using (var unknown = await owner.Http.GetAsync($"/api/v1/vms/{Guid.NewGuid()}")) Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(0, (await stranger.Http.GetFromJsonAsync<VmList>("/api/v1/vms", Tenant.Json))!.Total);

        var mine = await owner.GetVmAsync(vm.Id);
        Assert.NotEqual(VmStatus.Deleting, mine.Status);
        Assert.Equal("running", mine.PowerState);

        // An admin sees every organisation's VMs.
        var admin = Host.Client(TestTokens.Admin());
        var all = await admin.GetFromJsonAsync<VmList>("/api/v1/vms?limit=500", Tenant.Json);
        Assert.Contains(all!.Vms, v => v.Id == vm.Id);
        using (var adminGet = await admin.GetAsync($"/api/v1/vms/{vm.Id}")) Assert.Equal(HttpStatusCode.OK, adminGet.StatusCode);
    }

    [Fact]
    public async Task Lists_filter_by_status_worker_and_lease_and_page()
    {
        var zone = "list-" + Guid.NewGuid().ToString("N")[..6];
        var worker = await Host.Inventory.AddWorkerAsync(zone, cpu: 4);
        var tenant = new Tenant(Host);
        var placed = new List<Guid>();
        for (var i = 0; i < 3; i++) placed.Add((await tenant.CreateVmAsync($"p{i}", new { cpu_cores = 1, memory_mb = 512, image_id = "debian-12", zone })).Id);
        var waiting = await tenant.CreateVmAsync("nowhere", new { cpu_cores = 1, memory_mb = 512, image_id = "debian-12", zone = zone + "-none" });
        foreach (var id in placed) await tenant.WaitForStatusAsync(id, VmStatus.Running);
        await tenant.WaitForStatusAsync(waiting.Id, VmStatus.Unschedulable);

        var onWorker = await tenant.Http.GetFromJsonAsync<VmList>($"/api/v1/vms?worker_id={worker}", Tenant.Json);
        Assert.Equal(placed.OrderBy(x => x), onWorker!.Vms.Select(v => v.Id).OrderBy(x => x));
        var unschedulable = await tenant.Http.GetFromJsonAsync<VmList>("/api/v1/vms?status=unschedulable", Tenant.Json);
        Assert.Equal([waiting.Id], unschedulable!.Vms.Select(v => v.Id));
        var noLease = await tenant.Http.GetFromJsonAsync<VmList>($"/api/v1/vms?lease_id={Guid.NewGuid()}", Tenant.Json);
        Assert.Equal(0, noLease!.Total);

        var page1 = await tenant.Http.GetFromJsonAsync<VmList>("/api/v1/vms?page=1&limit=3", Tenant.Json);
        var page2 = await tenant.Http.GetFromJsonAsync<VmList>("/api/v1/vms?page=2&limit=3", Tenant.Json);
        Assert.Equal((4, 1, 3, 3), (page1!.Total, page1.Page, page1.Limit, page1.Vms.Count));
        Assert.Equal((4, 2, 1), (page2!.Total, page2.Page, page2.Vms.Count));
        Assert.Empty(page1.Vms.Select(v => v.Id).Intersect(page2.Vms.Select(v => v.Id)));

        foreach (var query in new[] { "page=0", "page=x", "limit=0", "limit=100000", "status=sleeping", "worker_id=abc", "lease_id=1" })
        {
            using var bad = await tenant.Http.GetAsync("/api/v1/vms?" + query);
            Assert.True(bad.StatusCode == HttpStatusCode.BadRequest, $"{query} answered {(int)bad.StatusCode}");
        }
    }

    [Fact]
    public async Task The_image_catalog_is_served_from_the_database_to_anyone()
    {
        using var anonymous = Host.Factory.CreateClient();
        var catalog = await anonymous.GetFromJsonAsync<Images.ImageEndpoints.ImageList>("/api/v1/images", Tenant.Json);
        Assert.Equal(["debian-12", "ubuntu-22.04", "ubuntu-24.04"], catalog!.Images.Select(i => i.Id));
        Assert.Equal(3, catalog.Total);
        var ubuntu = catalog.Images.Single(i => i.Id == "ubuntu-24.04");
        Assert.Equal(("ubuntu", "24.04", 2, 4096, 40), (ubuntu.Os, ubuntu.OsVersion, ubuntu.DefaultCpuCores, ubuntu.DefaultMemoryMb, ubuntu.DefaultDiskGb));
        Assert.Contains("process", ubuntu.Runtimes);
    }

    [Fact]
    public async Task The_vm_api_needs_a_token_and_the_scheduler_view_an_admin()
    {
        using var anonymous = Host.Factory.CreateClient();
        using (var list = await anonymous.GetAsync("/api/v1/vms")) Assert.Equal(HttpStatusCode.Unauthorized, list.StatusCode);

        var tenant = new Tenant(Host);
        using (var forbidden = await tenant.Http.GetAsync("/api/v1/scheduler/workers")) Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);

        var worker = Host.Client(TestTokens.Worker(Guid.NewGuid(), tenant.OrganizationId));
        using (var agent = await worker.GetAsync("/api/v1/vms")) Assert.Equal(HttpStatusCode.Forbidden, agent.StatusCode);

        var zone = "view-" + Guid.NewGuid().ToString("N")[..6];
        var id = await Host.Inventory.AddWorkerAsync(zone, cpu: 8, memoryMb: 8192);
        var vm = await tenant.CreateVmAsync("sized", new { cpu_cores = 3, memory_mb = 2048, disk_gb = 15, image_id = "debian-12", zone });
        await tenant.WaitForStatusAsync(vm.Id, VmStatus.Running);
        var admin = Host.Client(TestTokens.Admin());
        var view = await admin.GetFromJsonAsync<Workers.SchedulerWorkerEndpoints.WorkerCapacityList>($"/api/v1/scheduler/workers?zone={zone}", Tenant.Json);
        var w = Assert.Single(view!.Workers);
        Assert.Equal((id, true), (w.Id, w.Schedulable));
        Assert.Equal((3, 2048L, 15L, 1), (w.Allocated.CpuCores, w.Allocated.MemoryMb, w.Allocated.DiskGb, w.Allocated.Vms));
        Assert.Equal((5, 6144L), (w.Free.CpuCores, w.Free.MemoryMb));
        using (var badPage = await admin.GetAsync("/api/v1/scheduler/workers?limit=0")) Assert.Equal(HttpStatusCode.BadRequest, badPage.StatusCode);
    }

    [Fact]
    public async Task A_service_token_cannot_create_vms_through_the_api()
    {
        var service = Host.Client(TestTokens.Service("lease"));
        using var response = await service.PostAsJsonAsync("/api/v1/vms", new { name = "x", spec = new { image_id = "debian-12" } });
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }
}
