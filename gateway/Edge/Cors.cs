namespace Aetherium.Gateway.Edge;

/// <summary>
/// CORS for a browser front end served from another origin (Gateway:Cors:Origins). The portal served by
/// the gateway itself is same-origin and needs none. Tokens travel in the Authorization header, so no
/// credentials mode.
/// </summary>
public static class Cors
{
    public const string PolicyName = "browser";

    public static IServiceCollection AddEdgeCors(this IServiceCollection services, IConfiguration configuration)
    {
        var origins = configuration.GetSection("Gateway:Cors:Origins").Get<string[]>() ?? [];
        services.AddCors(o => o.AddPolicy(PolicyName, p =>
        {
            if (origins.Length > 0) p.WithOrigins(origins);
            p.AllowAnyHeader().AllowAnyMethod().WithExposedHeaders("X-Correlation-Id", "Retry-After", "Location").SetPreflightMaxAge(TimeSpan.FromMinutes(10));
        }));
        return services;
    }
}
