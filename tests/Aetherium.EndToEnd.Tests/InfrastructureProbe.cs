using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Aetherium.AppHost;
using Aetherium.Hosting;
using Aetherium.Hosting.ApplicationModel;
using Npgsql;

namespace Aetherium.EndToEnd.Tests;

/// <summary>Figures from behind the API for the failure reports: outbox backlogs and the broker's redeliveries.</summary>
public static class InfrastructureProbe
{
    /// <summary>The model's infrastructure resources (AetheriumModel names them inline).</summary>
    public const string Postgres = "postgres", Messaging = "messaging";

    public sealed record Outbox(string Service, long Pending, int MaxAttempts);

    /// <summary>Each service's outbox: rows waiting for the broker, and the most publish attempts one of them took.</summary>
    public static async Task<List<Outbox>> OutboxesAsync(DistributedApplication app)
    {
        var result = new List<Outbox>();
        foreach (var service in AetheriumModel.Services)
        {
            await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(app.GetConnectionString($"{service}db")) { Pooling = false, Timeout = 3 }.ConnectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT count(*), coalesce(max(attempts), 0) FROM outbox_messages", connection);
            await using var reader = await command.ExecuteReaderAsync();
            await reader.ReadAsync();
            result.Add(new Outbox(service, reader.GetInt64(0), reader.GetInt32(1)));
        }
        return result;
    }

    public sealed record Broker(long Redelivered, long Published, long InErrorQueues, int Queues, string ErrorQueues);

    /// <summary>Totals over the private broker's queues (management API; its statistics start again when it restarts).</summary>
    public static async Task<Broker> BrokerAsync(DistributedApplication app)
    {
        var mq = (RabbitMQServerResource)app.Builder.Find(Messaging)!;
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{mq.ManagementPort}/"), Timeout = TimeSpan.FromSeconds(10) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{mq.Username.Value}:{mq.Password.Value}")));
        var queues = JsonNode.Parse(await http.GetStringAsync("api/queues/%2F"))!.AsArray();
        long Stat(JsonNode q, string name) => q["message_stats"]?[name]?.GetValue<long>() ?? 0;
        return new Broker(
            queues.Sum(q => Stat(q!, "redeliver")),
            queues.Sum(q => Stat(q!, "publish")),
            queues.Where(q => q!["name"]!.GetValue<string>().EndsWith("_error", StringComparison.Ordinal)).Sum(q => q!["messages"]?.GetValue<long>() ?? 0),
            queues.Count,
            string.Join(", ", queues.Where(q => q!["name"]!.GetValue<string>().EndsWith("_error", StringComparison.Ordinal)).Select(q => $"{q!["name"]}={q["messages"]}")));
    }

    /// <summary>What to look at when the invariant fails: error queues, outboxes, the services' warnings.</summary>
    public static async Task<string> DiagnoseAsync(DistributedApplication app)
    {
        var text = new StringBuilder();
        try
        {
            var broker = await BrokerAsync(app);
            text.AppendLine($"error queues: {broker.ErrorQueues}; redelivered {broker.Redelivered}");
            text.AppendLine("outboxes: " + string.Join(", ", (await OutboxesAsync(app)).Select(o => $"{o.Service}={o.Pending} (max attempts {o.MaxAttempts})")));
        }
        catch (Exception ex) when (ex is HttpRequestException or NpgsqlException or TaskCanceledException) { text.AppendLine("probe failed: " + ex.Message); }
        foreach (var service in AetheriumModel.Services)
            foreach (var instance in app.InstancesOf(service))
                foreach (var line in instance.Logs.Snapshot().Where(l => l.Text.Contains("warn", StringComparison.OrdinalIgnoreCase) || l.Text.Contains("fail", StringComparison.OrdinalIgnoreCase) || l.Text.Contains("exception", StringComparison.OrdinalIgnoreCase)).TakeLast(25))
                    text.AppendLine($"{instance.Name} | {line.Text}");
        return text.ToString();
    }
}
