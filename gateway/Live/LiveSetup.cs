using Aetherium.Gateway.Edge;
using Aetherium.ServiceDefaults.Messaging;
using MassTransit;
using Microsoft.AspNetCore.RateLimiting;

namespace Aetherium.Gateway.Live;

/// <summary>
/// The live stream (issue 12, the live contract), served by the gateway itself: bus events from a queue of
/// this instance's own, fanned out to server-sent-events and SignalR clients of the organisation concerned.
/// </summary>
public static class LiveSetup
{
    /// <summary>Users and admins: the live stream is the tenants' view (ServiceDefaults' tenant policy).</summary>
    public const string Policy = Aetherium.ServiceDefaults.Auth.AuthenticationSetup.TenantPolicy;

    /// <summary>
    /// This instance's queue. Every replica must see every event, so each has its own queue (deleted when the
    /// instance goes), not the service-wide queue whose consumers would compete.
    /// </summary>
    public static readonly string QueueName = $"gateway-live-{Environment.MachineName.ToLowerInvariant()}-{Guid.NewGuid().ToString("N")[..12]}";

    public static WebApplicationBuilder AddLive(this WebApplicationBuilder builder)
    {
        builder.Services.Configure<LiveOptions>(builder.Configuration.GetSection("Gateway:Live"));
        builder.Services.AddSingleton<LiveFanOut>();
        builder.Services.AddSingleton<LiveSnapshot>();
        builder.Services.AddSingleton<LiveSessions>();
        builder.Services.AddHttpClient(LiveSnapshot.HttpClientName);
        builder.Services.AddReceiveEndpointObserver<LiveEndpointObserver>();
        builder.AddServiceBus(x => x.AddConsumer<LiveEventConsumer>().Endpoint(e =>
        {
            e.Name = QueueName;
            e.Temporary = true;
            // One message at a time keeps the order the broker delivered them in; fanning out is only buffer writes.
            e.ConcurrentMessageLimit = 1;
            e.PrefetchCount = 256;
        }));
        builder.Services.AddSignalR().AddJsonProtocol(o => ServiceDefaultsExtensions.ConfigureJson(o.PayloadSerializerOptions));
        QueryTokenServer.Install(builder.Services);
        return builder;
    }

    public static WebApplication MapLive(this WebApplication app)
    {
        // Streams never end on their own: at shutdown they are closed first, or the server would wait out its timeout for them.
        app.Lifetime.ApplicationStopping.Register(app.Services.GetRequiredService<LiveFanOut>().Interrupted);
        // Each stream is one request, limited as a connection attempt; how long it then stays open costs no permits.
        app.MapGet(LiveEndpoints.EventsPath, LiveEndpoints.StreamAsync)
            .RequireAuthorization(Policy).RequireCors(Cors.PolicyName).RequireRateLimiting(RateLimits.Live);
        // SignalR's transports make a request per poll or client message; only negotiate, one per connection, is limited.
        app.MapHub<LiveHub>(LiveEndpoints.HubPath).RequireCors(Cors.PolicyName).Add(endpoint =>
        {
            if (endpoint is RouteEndpointBuilder { RoutePattern.RawText: { } pattern } && pattern.EndsWith("/negotiate", StringComparison.Ordinal))
                endpoint.Metadata.Add(new EnableRateLimitingAttribute(RateLimits.Live));
        });
        return app;
    }

    /// <summary>The caller's token (from the header, where <see cref="QueryTokenServer"/> also puts a query-string one), for the snapshot's calls.</summary>
    public static string BearerToken(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : "";
    }
}
