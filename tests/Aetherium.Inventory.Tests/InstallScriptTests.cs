using System.Text.RegularExpressions;
using Aetherium.Inventory.Workers;
using Xunit;

namespace Aetherium.Inventory.Tests;

/// <summary>The install script as rendered: what it hands to other programs.</summary>
public sealed class InstallScriptTests
{
    [Fact]
    public void The_token_is_on_no_command_line()
    {
        const string token = "eyJhbGciOi.worker-token.install-secret";
        var worker = new Worker { Id = Guid.NewGuid(), Name = "w", Zone = "z", Status = "pending" };
        var script = InstallScript.Render("http://controller.example:8080", token, worker, DateTimeOffset.UtcNow);

        Assert.Equal($"TOKEN='{token}'", Assert.Single(script.Split('\n'), l => l.Contains(token)));
        var uses = script.Split('\n').Where(l => l.Contains("$TOKEN")).ToList();
        Assert.NotEmpty(uses);
        foreach (var line in uses)
        {
            // Given to a command on its standard input, or in its environment: never among its arguments (ps shows those to everyone).
            var arguments = Regex.Replace(Regex.Replace(line, "<<<\"[^\"]*\"", ""), "^\\s*[A-Z_]+=\"\\$TOKEN\"\\s", "");
            Assert.False(arguments.Contains("$TOKEN"), $"the token is an argument in: {line.Trim()}");
        }
    }
}
