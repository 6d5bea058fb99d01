using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Aetherium.Contracts;
using Aetherium.Testing;
using Aetherium.Scheduler.Vms;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Aetherium.Scheduler.Tests.Integration;

/// <summary>
/// The scheduler in-process on its own database and virtual host of the real PostgreSQL and RabbitMQ,
/// with a test bus that plays inventory and its agents (<see cref="SimulatedInventory"/>) and records
/// what the scheduler publishes. <see cref="AddReplicaAsync"/> starts a second replica on the same state.
/// </summary>
public sealed class SchedulerHost : IAsyncDisposable
{
    public static readonly Type[] Observed =
    [
        typeof(WorkerDesiredStateChanged), typeof(VmRequested), typeof(VmScheduled), typeof(VmUnschedulable),
        typeof(VmStateChanged), typeof(VmDeleted), typeof(VmMigrated),
    ];

    private readonly List<ServiceFactory<Program>> _replicas = [];

    private SchedulerHost(ServiceFactory<Program> factory, TestBus bus, LogCapture logs)
    {
        _replicas.Add(factory);
        Logs = logs;
        Bus = bus;
        Inventory = new SimulatedInventory(bus);
    }

    public ServiceFactory<Program> Factory => _replicas[0];
    public IReadOnlyList<ServiceFactory<Program>> Replicas => _replicas;
    public TestBus Bus { get; }
    public SimulatedInventory Inventory { get; }
    /// <summary>What every replica logged.</summary>
    public LogCapture Logs { get; }

    public static async Task<SchedulerHost> StartAsync(string name, IDictionary<string, string?>? settings = null)
    {
        var config = new Dictionary<string, string?>
        {
            ["Outbox:PollInterval"] = "00:00:00.100",
            ["Scheduler:PollInterval"] = "00:00:00.200",
            ["Scheduler:Migration:PollInterval"] = "00:00:00.200",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Aetherium"] = "Information",
        };
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>()) config[k] = v;
        var logs = new LogCapture();
        var factory = new LoggedFactory(await ServiceFactory<Program>.NewSettingsAsync("schedulerdb", name, config), logs);
        await factory.WaitHealthyAsync();
        var bus = await TestBus.StartAsync(factory.Settings.MessagingConnectionString, Observed);
        return new SchedulerHost(factory, bus, logs);
    }

    public async Task<ServiceFactory<Program>> AddReplicaAsync()
    {
        var replica = new LoggedFactory(Factory.Settings, Logs);
        await replica.WaitHealthyAsync();
        _replicas.Add(replica);
        return replica;
    }

    /// <summary>Waits until the scheduler has taken in the worker's latest snapshot (admin view), so that what follows does not race its registration.</summary>
    public async Task WaitKnownAsync(Guid worker)
    {
        var admin = Client(TestTokens.Admin());
        var version = Inventory.Snapshot(worker).Version;
        await Eventually.TrueAsync(async () =>
        {
            var list = await admin.GetFromJsonAsync<Workers.SchedulerWorkerEndpoints.WorkerCapacityList>("/api/v1/scheduler/workers?limit=1000", Tenant.Json);
            return list!.Workers.Any(w => w.Id == worker && w.SnapshotVersion >= version);
        }, because: $"the scheduler knows worker {worker}");
    }

    public HttpClient Client(string token, int replica = 0)
    {
        var client = _replicas[replica].CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        await Inventory.DisposeAsync();
        await Bus.DisposeAsync();
        foreach (var replica in _replicas) await replica.DisposeAsync();
    }

    private sealed class LoggedFactory(ServiceSettings settings, LogCapture logs) : ServiceFactory<Program>(settings)
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureLogging(l => l.AddProvider(logs));
        }
    }
}

/// <summary>A tenant: one organisation and a user of it, with helpers for the VM API.</summary>
public sealed class Tenant
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    public Tenant(SchedulerHost host, int replica = 0, Guid? organizationId = null)
    {
        OrganizationId = organizationId ?? Guid.NewGuid();
        Http = host.Client(TestTokens.User(OrganizationId), replica);
    }

    public Guid OrganizationId { get; }
    public HttpClient Http { get; }

    /// <summary>POST /api/v1/vms; asserts 202 and returns the VM.</summary>
    public async Task<VmResponse> CreateVmAsync(string name, object spec)
    {
        using var response = await Http.PostAsJsonAsync("/api/v1/vms", new { name, spec });
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Accepted, $"POST /vms answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<VmResponse>(Json))!;
    }

    public async Task<VmResponse> GetVmAsync(Guid id)
    {
        using var response = await Http.GetAsync($"/api/v1/vms/{id}");
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<VmResponse>(Json))!;
    }

    public Task<VmResponse> WaitForVmAsync(Guid id, Func<VmResponse, bool> until, string because, int seconds = 20) =>
        Eventually.GetAsync(() => GetVmAsync(id), until, TimeSpan.FromSeconds(seconds), because);

    public Task<VmResponse> WaitForStatusAsync(Guid id, string status, int seconds = 20) =>
        WaitForVmAsync(id, vm => vm.Status == status, $"VM {id} becomes {status}", seconds);

    public async Task<HttpResponseMessage> ActAsync(Guid id, string action) =>
        await Http.PostAsJsonAsync($"/api/v1/vms/{id}/action", new { action });
}
