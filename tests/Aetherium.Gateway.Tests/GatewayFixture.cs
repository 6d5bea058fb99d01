using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Aetherium.AppHost;
using Aetherium.Hosting;
using Aetherium.Hosting.Infrastructure;
using Aetherium.Testing.System;

namespace Aetherium.Gateway.Tests;

/// <summary>One system for every test class of the project: they run one after another on it.</summary>
[Xunit.CollectionDefinition(Name)]
public sealed class GatewayCollection : Xunit.ICollectionFixture<GatewayFixture>
{
    public const string Name = "gateway";
}

/// <summary>
/// The whole system behind the gateway, with HTTPS on, a low per-client API limit, and the services'
/// telemetry received in the test (as the AppHost's dashboard receives it).
/// </summary>
public sealed class GatewayFixture : SystemFixture
{
    public const int ApiPermits = 40;
    public static readonly TimeSpan LiveKeepAlive = TimeSpan.FromSeconds(2);
    private readonly string _certificates = Path.Combine(Path.GetTempPath(), $"aetherium-tls-{Guid.NewGuid():N}");

    public int HttpsPort { get; } = Ports.Free();
    public X509Certificate2? Certificate { get; private set; }

    protected override bool CollectTelemetry => true;

    protected override void AddConfiguration(IDictionary<string, string?> configuration)
    {
        Directory.CreateDirectory(_certificates);
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        Certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        File.WriteAllText(Path.Combine(_certificates, "gateway.pem"), Certificate.ExportCertificatePem());
        File.WriteAllText(Path.Combine(_certificates, "gateway.key"), key.ExportPkcs8PrivateKeyPem());
        configuration["Parameters:gateway-tls-certificate"] = Path.Combine(_certificates, "gateway.pem");
        configuration["Parameters:gateway-tls-key"] = Path.Combine(_certificates, "gateway.key");
        configuration["Parameters:gateway-https-port"] = HttpsPort.ToString();
    }

    protected override void Configure(DistributedApplicationBuilder builder)
    {
        builder.SetEnvironment(AetheriumModel.Gateway, "Gateway__RateLimits__api__PermitLimit", ApiPermits.ToString());
        builder.SetEnvironment(AetheriumModel.Gateway, "Gateway__RateLimits__api__WindowSeconds", "60");
        builder.SetEnvironment(AetheriumModel.Gateway, "Gateway__RateLimits__auth__PermitLimit", "10000");
        builder.SetEnvironment(AetheriumModel.Gateway, "Gateway__Cors__Origins__0", "https://portal.example.com");
        builder.SetEnvironment(AetheriumModel.Gateway, "Gateway__HealthCheckInterval", "00:00:01");
        builder.SetEnvironment(AetheriumModel.Gateway, "Gateway__Live__KeepAlive", LiveKeepAlive.ToString());
        // Every request the gateway serves is logged, so a test can check what its request logs hold (no token).
        builder.SetEnvironment(AetheriumModel.Gateway, "Logging__LogLevel__Microsoft.AspNetCore.Hosting.Diagnostics", "Information");
        // Spans and logs exported every half second rather than every five: tests wait for them.
        foreach (var project in AetheriumModel.Services.Append(AetheriumModel.Gateway))
        {
            builder.SetEnvironment(project, "OTEL_BSP_SCHEDULE_DELAY", "500");
            builder.SetEnvironment(project, "OTEL_BLRP_SCHEDULE_DELAY", "500");
        }
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Directory.Delete(_certificates, recursive: true);
    }
}
