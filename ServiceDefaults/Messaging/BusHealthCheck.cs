using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Aetherium.ServiceDefaults.Messaging;

/// <summary>
/// The "bus" entry of /health: whether the broker answers (the AMQP handshake on its port) and, while it does
/// not, how many messages the outbox keeps for it. Degraded, not Unhealthy: the service still answers its API
/// from its database and the outbox keeps every event until the broker is back, so a 503 that takes the
/// service out of rotation would only turn a broker outage into an API outage.
/// </summary>
public sealed class BusHealthCheck(IConfiguration configuration, IServiceProvider services, string connectionName) : IHealthCheck
{
    public const string Name = "bus";
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(2);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        var amqp = AmqpAddress.Parse(configuration.GetConnectionString(connectionName)
            ?? throw new InvalidOperationException($"ConnectionStrings:{connectionName} is not configured."));
        var error = await ProbeAsync(amqp.Host, amqp.Port, ct);
        if (error is null) return HealthCheckResult.Healthy($"broker {amqp.Host}:{amqp.Port} reachable");
        var waiting = services.GetService<IOutboxBacklog>() is { } backlog ? await backlog.DescribeAsync(ct) : null;
        return new HealthCheckResult(context.Registration.FailureStatus,
            $"broker {amqp.Host}:{amqp.Port} unreachable ({error})" + (waiting is null ? "" : $"; {waiting}"));
    }

    /// <summary>Null when a broker answers the AMQP 0-9-1 protocol header with a frame, else why not.</summary>
    private static async Task<string?> ProbeAsync(string host, int port, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(ProbeTimeout);
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(host, port, timeout.Token);
            var stream = client.GetStream();
            await stream.WriteAsync("AMQP\0\0\x09\x01"u8.ToArray(), timeout.Token);
            var frame = new byte[1];
            return await stream.ReadAsync(frame, timeout.Token) == 1 && frame[0] == 1 ? null : "no AMQP answer";
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return $"no answer within {ProbeTimeout.TotalSeconds:0} s";
        }
        catch (Exception ex) when (ex is SocketException or IOException)
        {
            return ex.Message;
        }
    }
}

/// <summary>What a service's outbox holds for the broker, in words (registered with its database).</summary>
public interface IOutboxBacklog
{
    /// <summary>"N messages waiting in the outbox", or why that could not be counted.</summary>
    Task<string> DescribeAsync(CancellationToken ct);
}
