using Aetherium.Gateway.Edge;
using Aetherium.Gateway.Health;
using Aetherium.Gateway.Live;
using Aetherium.Gateway.OpenApi;
using Aetherium.Gateway.Portal;
using Aetherium.Gateway.Routing;
using Microsoft.AspNetCore.Authorization;
using Scalar.AspNetCore;

// The one front door (DESIGN §5, §8): YARP routes /api/v1/... to the owning service, validating tokens
// at the edge, limiting rates and sizes, and answering its own errors as ProblemDetails. It serves the
// live stream itself (Live/): /api/v1/events and /api/v1/hub, which no YARP route claims.
var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();

var bodyLimit = BodySizeLimit.Limit(builder.Configuration);
builder.WebHost.ConfigureKestrel(k =>
{
    k.Limits.MaxRequestBodySize = bodyLimit;
    RequestLineLimit.Configure(k.Limits);
});

builder.Services.AddReverseProxy()
    .LoadFromMemory(ProxyConfiguration.Routes(), ProxyConfiguration.Clusters(builder.Configuration))
    .AddServiceDiscoveryDestinationResolver();
builder.Services.AddEdgeRateLimits(builder.Configuration);
builder.Services.AddEdgeCors(builder.Configuration);
builder.Services.AddHttpClient(ServiceHealthCheck.HttpClientName, c => c.Timeout = TimeSpan.FromSeconds(3));
builder.Services.AddHttpClient(AggregatedDocument.HttpClientName, c => c.Timeout = TimeSpan.FromSeconds(10));
builder.Services.AddSingleton<AggregatedDocument>();
builder.AddLive();
ServiceHealthCheck.AddServiceChecks(builder.Services.AddHealthChecks(), ApiRoutes.Services);

var app = builder.Build();
app.Use(RequestLineLimit.Middleware);
app.Use(BodySizeLimit.Middleware(bodyLimit));
app.UseCors();
app.MapDefaultEndpoints(mapOpenApi: false);
app.Use(HubProblems.Middleware);
app.UseRateLimiter();
app.UsePortal();

app.MapLive();

app.MapGet("/openapi/v1.json", async (AggregatedDocument doc, CancellationToken ct) =>
    TypedResults.Text(await doc.GetAsync(ct), "application/json")).AllowAnonymous().ExcludeFromDescription();
app.MapScalarApiReference("/docs", o => o
    .WithTitle("Aetherium API")
    .WithOpenApiRoutePattern("/openapi/v1.json")
    .AddPreferredSecuritySchemes("Bearer")).AllowAnonymous();

app.MapReverseProxy(proxy =>
{
    proxy.Use(ProxyErrors.HandleAsync);
    proxy.UseSessionAffinity();
    proxy.UseLoadBalancing();
    proxy.UsePassiveHealthChecks();
});

// Anything no route claims: a page of the portal (it routes in the browser), else a ProblemDetails 404, not an empty page.
app.MapFallback(async context =>
{
    if (await PortalFiles.TryServePageAsync(context)) return;
    await Problems.WriteAsync(context, StatusCodes.Status404NotFound, "Not found", $"No route for {context.Request.Method} {context.Request.Path}.");
}).AllowAnonymous();

app.Run();

public partial class Program;
