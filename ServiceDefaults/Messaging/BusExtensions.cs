using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace Aetherium.ServiceDefaults.Messaging;

public static class BusExtensions
{
    /// <summary>
    /// MassTransit 8.5 over RabbitMQ from <c>ConnectionStrings__messaging</c> (<c>amqp://user:pass@host:port[/vhost]</c>).
    /// Queues are named after the service (<c>inventory-vm-scheduled</c>…), so the replicas of one
    /// service compete for messages while every service gets its own copy. Failed messages are retried
    /// with growing intervals and then moved to the queue's <c>_error</c> queue — never acked silently.
    /// </summary>
    public static IHostApplicationBuilder AddServiceBus(this IHostApplicationBuilder builder, Action<IBusRegistrationConfigurator>? configure = null, string connectionName = "messaging")
    {
        var prefix = builder.Configuration["Messaging:QueuePrefix"] ?? ServiceName(builder.Environment.ApplicationName);
        builder.Services.Configure<MassTransitHostOptions>(o =>
        {
            // The service starts without the broker; the outbox holds events until it is back.
            o.WaitUntilStarted = false;
            o.StopTimeout = TimeSpan.FromSeconds(10);
        });
        builder.Services.AddMassTransit(x =>
        {
            x.SetEndpointNameFormatter(new KebabCaseEndpointNameFormatter(prefix, false));
            // MassTransit would report usage to its vendor: nothing leaves a control plane unasked.
            x.DisableUsageTelemetry();
            configure?.Invoke(x);
            x.UsingRabbitMq((context, cfg) =>
            {
                var cs = context.GetRequiredService<IConfiguration>().GetConnectionString(connectionName)
                    ?? throw new InvalidOperationException($"ConnectionStrings:{connectionName} is not configured.");
                var amqp = AmqpAddress.Parse(cs);
                cfg.Host(amqp.Host, amqp.Port, amqp.VirtualHost, h =>
                {
                    h.Username(amqp.Username);
                    h.Password(amqp.Password);
                });
                cfg.PrefetchCount = 64;
                cfg.UseMessageRetry(r => r.Intervals(100, 500, 1000, 2000, 5000));
                cfg.ConfigureEndpoints(context);
            });
        });
        // MassTransit's own "masstransit-bus" entry says Ready for a while after the broker is gone, and never why: "bus" probes it.
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(BusHealthCheck.Name,
            sp => new BusHealthCheck(sp.GetRequiredService<IConfiguration>(), sp, connectionName),
            HealthStatus.Degraded, ["ready"], TimeSpan.FromSeconds(5)));
        return builder;
    }

    /// <summary>"Aetherium.Inventory" → "inventory".</summary>
    public static string ServiceName(string applicationName) =>
        applicationName.Split('.').Last().ToLowerInvariant();
}

/// <summary>The parts of an AMQP URI (RFC-style, as Aspire's RabbitMQ resource writes it).</summary>
public sealed record AmqpAddress(string Host, ushort Port, string VirtualHost, string Username, string Password)
{
    public static AmqpAddress Parse(string connectionString)
    {
        var uri = new Uri(connectionString);
        if (uri.Scheme is not ("amqp" or "amqps"))
            throw new FormatException($"Expected an amqp:// URI, got scheme '{uri.Scheme}'.");
        var user = "guest";
        var pass = "guest";
        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            var parts = uri.UserInfo.Split(':', 2);
            user = Uri.UnescapeDataString(parts[0]);
            pass = parts.Length > 1 ? Uri.UnescapeDataString(parts[1]) : "";
        }
        var vhost = uri.AbsolutePath.Length > 1 ? Uri.UnescapeDataString(uri.AbsolutePath[1..]) : "/";
        var port = uri.Port > 0 ? (ushort)uri.Port : (ushort)(uri.Scheme == "amqps" ? 5671 : 5672);
        return new AmqpAddress(uri.Host, port, vhost, user, pass);
    }
}
