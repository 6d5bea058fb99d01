using Aetherium.Contracts;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.IdentityModel.Tokens;

namespace Aetherium.ServiceDefaults.Auth;

/// <summary>
/// Every service validates identity's JWTs offline: the signing keys come from identity's JWKS
/// (found through service discovery, <c>services__identity__http__0</c>) and are cached and refreshed
/// by JwtBearer's configuration manager, also when an unknown key id appears after a rotation.
/// </summary>
public static class AuthenticationSetup
{
    /// <summary>
    /// A person of a tenant: a user or a platform admin, never a worker's machine token or a service. The default
    /// policy, so <c>RequireAuthorization()</c> without a name admits exactly these; every route still names its policy.
    /// </summary>
    public const string TenantPolicy = "tenant";
    public const string AdminPolicy = "admin";
    public const string ServicePolicy = "service";
    public const string WorkerPolicy = "worker";

    public static string Issuer(IConfiguration c) => c["Jwt:Issuer"] ?? "aetherium";
    public static string Audience(IConfiguration c) => c["Jwt:Audience"] ?? "aetherium";

    /// <summary>Base URL of identity: explicit <c>Jwt:Authority</c>, else service discovery's entry.</summary>
    public static string? IdentityUrl(IConfiguration c) =>
        c["Jwt:Authority"] ?? c["services:identity:http:0"] ?? c["services:identity:https:0"];

    public static IHostApplicationBuilder AddAetheriumAuthentication(this IHostApplicationBuilder builder)
    {
        var config = builder.Configuration;
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme)
            .AddJwtBearer(o =>
            {
                o.MapInboundClaims = false;
                o.RequireHttpsMetadata = false;
                var identity = IdentityUrl(config);
                if (identity is not null)
                    o.MetadataAddress = identity.TrimEnd('/') + "/.well-known/openid-configuration";
                o.AutomaticRefreshInterval = TimeSpan.FromMinutes(10);
                o.RefreshInterval = TimeSpan.FromSeconds(10);
                o.TokenValidationParameters = new TokenValidationParameters
                {
                    ValidIssuer = Issuer(config),
                    ValidAudience = Audience(config),
                    NameClaimType = Claims.Name,
                    RoleClaimType = Claims.Role,
                    ClockSkew = TimeSpan.FromSeconds(30),
                };
            });

        var tenant = new AuthorizationPolicyBuilder().RequireRole(Roles.User, Roles.Admin).Build();
        builder.Services.AddAuthorizationBuilder()
            .SetDefaultPolicy(tenant)
            .AddPolicy(TenantPolicy, tenant)
            .AddPolicy(AdminPolicy, p => p.RequireRole(Roles.Admin))
            .AddPolicy(ServicePolicy, p => p.RequireRole(Roles.Service))
            .AddPolicy(WorkerPolicy, p => p.RequireRole(Roles.Worker));
        return builder;
    }
}
