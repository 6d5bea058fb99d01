using Aetherium.Contracts;
using Aetherium.Inventory;
using Aetherium.Inventory.Agents;
using Aetherium.Inventory.Cluster;
using Aetherium.Inventory.DesiredState;
using Aetherium.Inventory.Health;
using Aetherium.Inventory.Persistence;
using Aetherium.Inventory.Revocation;
using Aetherium.Inventory.Telemetry;
using Aetherium.Inventory.Workers;
using Aetherium.ServiceDefaults.Auth;
using Aetherium.ServiceDefaults.Data;
using Aetherium.ServiceDefaults.Messaging;
using Microsoft.AspNetCore.HttpOverrides;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddServiceDatabase<InventoryDbContext>("inventorydb");
builder.AddServiceBus(x =>
{
    x.AddConsumer<WorkerDesiredStateChangedConsumer>();
    x.AddConsumer<WorkerTokenRevokedConsumer>();
});

builder.Services.AddOptions<InventoryOptions>().BindConfiguration(InventoryOptions.Section);
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddHttpClient<IWorkerTokenIssuer, IdentityWorkerTokens>(c => c.BaseAddress = new("http://identity")).AddServiceToken();
builder.Services.AddHttpClient<IWorkerTokenDirectory, IdentityWorkerTokens>(c => c.BaseAddress = new("http://identity")).AddServiceToken();
// An agent's address (a token's "last used from") behind the gateway: X-Forwarded-For, trusted only from
// loopback (the default) and the networks in ForwardedHeaders:KnownNetworks, as identity does.
builder.Services.AddOptions<ForwardedHeadersOptions>().Configure<IConfiguration>((o, config) =>
{
    o.ForwardedHeaders = ForwardedHeaders.XForwardedFor;
    foreach (var network in config.GetSection("ForwardedHeaders:KnownNetworks").Get<string[]>() ?? [])
        o.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
});

// The hot path: sessions and heartbeats live in memory, the flusher writes them in batches.
builder.Services.AddSingleton<InventoryMeters>();
builder.Services.AddSingleton<TelemetryBuffer>();
builder.Services.AddSingleton<HeartbeatIntake>();
builder.Services.AddSingleton<FrameRefusals>();
builder.Services.AddSingleton<SessionRegistry>();
builder.Services.AddSingleton<AgentAuthenticator>();
builder.Services.AddSingleton<AgentLifecycle>();
builder.Services.AddSingleton<DesiredStatePusher>();
builder.Services.AddSingleton<AgentSessionRunner>();
builder.Services.AddHostedService<TelemetryFlusher>();
builder.Services.AddSingleton<SessionNotificationListener>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<SessionNotificationListener>());
builder.Services.AddSingleton<OfflineDetector>();
builder.Services.AddSingleton<DetectorLeadership>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<DetectorLeadership>());

var app = builder.Build();
app.UseForwardedHeaders();
app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(30) });
app.MapDefaultEndpoints();

// The portal's API: tenant users and admins; not agents' worker tokens, not services.
app.MapGroup("/api/v1/workers").RequireAuthorization(AuthenticationSetup.TenantPolicy).WithTags("workers").MapWorkerRoutes();
// DESIGN §5: /nodes/... answers exactly as /workers/... (same handlers), kept out of the OpenAPI document.
app.MapGroup("/api/v1/nodes").RequireAuthorization(AuthenticationSetup.TenantPolicy).ExcludeFromDescription().MapWorkerRoutes();
app.MapCluster();
app.MapAgentEndpoints();
app.MapAgentPackage();

app.Run();

public partial class Program;
