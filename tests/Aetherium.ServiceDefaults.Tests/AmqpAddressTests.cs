using Aetherium.ServiceDefaults.Messaging;
using Xunit;

namespace Aetherium.ServiceDefaults.Tests;

public sealed class AmqpAddressTests
{
    [Fact]
    public void Parses_Aspire_style_uri()
    {
        var a = AmqpAddress.Parse("amqp://guest:s%40cret@localhost:5673");
        Assert.Equal(("localhost", (ushort)5673, "/", "guest", "s@cret"), (a.Host, a.Port, a.VirtualHost, a.Username, a.Password));
    }

    [Fact]
    public void Parses_virtual_host_and_default_port()
    {
        var a = AmqpAddress.Parse("amqp://u:p@127.0.0.1/tests_1");
        Assert.Equal(5672, a.Port);
        Assert.Equal("tests_1", a.VirtualHost);
    }

    [Fact]
    public void Refuses_other_schemes() => Assert.Throws<FormatException>(() => AmqpAddress.Parse("http://localhost:5672"));

    [Theory]
    [InlineData("Aetherium.Inventory", "inventory")]
    [InlineData("Aetherium.Lease", "lease")]
    public void Queue_prefix_is_the_service_name(string app, string expected) => Assert.Equal(expected, BusExtensions.ServiceName(app));
}
