using Aetherium.AppHost.Dashboard;
using Aetherium.Hosting.ApplicationModel;
using Aetherium.Hosting.Testing;
using Aetherium.Testing;
using RabbitMQ.Client;
using Xunit;

namespace Aetherium.AppHost.Tests.Dashboard;

/// <summary>Queue depths come from the private broker's management API.</summary>
public sealed class QueueDepthTests
{
    [Fact]
    public async Task Messages_waiting_in_a_queue_of_the_private_broker_show_as_its_depth()
    {
        var builder = DistributedApplicationTestingBuilder.Create(new TestingOptions { DisableDashboard = false });
        // Not "messaging": the test run's shared broker is given under that name, and this test needs a private one.
        builder.AddRabbitMQ("private-broker").WithManagementPlugin();
        var dashboard = builder.AddDashboard()!;
        await using var app = builder.Build();
        await app.StartAsync();
        using var client = await DashboardClient.SignedInAsync(dashboard);

        var uri = new UriBuilder(app.GetConnectionString("private-broker")) { Host = "127.0.0.1" }.Uri;
        await using var connection = await new ConnectionFactory { Uri = uri }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        await channel.QueueDeclareAsync("vm-requests", durable: false, exclusive: false, autoDelete: false);
        for (var i = 0; i < 3; i++) await channel.BasicPublishAsync("", "vm-requests", new byte[] { 1, 2, 3 });

        // The broker refreshes its statistics every 5 s.
        var queues = await Eventually.GetAsync(() => client.GetJsonAsync("/api/queues"),
            q => q.GetProperty("queues").EnumerateArray().Any(x => x.GetProperty("name").GetString() == "vm-requests" && x.GetProperty("messages").GetInt64() == 3),
            TimeSpan.FromSeconds(30), "the queue's depth reaches 3");
        Assert.True(queues.GetProperty("available").GetBoolean());
        var queue = queues.GetProperty("queues").EnumerateArray().Single(x => x.GetProperty("name").GetString() == "vm-requests");
        Assert.Equal(3, queue.GetProperty("ready").GetInt64());
        Assert.Equal("/", queue.GetProperty("vhost").GetString());
        Assert.Contains(queue.GetProperty("history").EnumerateArray(), s => s.GetProperty("messages").GetInt64() == 3);
    }
}
