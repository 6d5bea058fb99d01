using System.CommandLine;

namespace Aetherium.LoadTests;

/// <summary>
/// Load clients and system benchmarks, one sub-command each:
/// <c>dotnet run -c Release --project benchmarks/Aetherium.LoadTests -- &lt;command&gt; [options]</c>.
/// Add a client as a class with a <c>Command()</c> factory and list it here.
/// </summary>
public static class Cli
{
    public static Task<int> Main(string[] args)
    {
        var root = new RootCommand("Aetherium load clients: each command runs a scenario and prints its figures.")
        {
            LeaseExpiry.Command(),
            Heartbeats.Command(),
            Placement.Command(),
            GatewayLatency.Command(),
        };
        return root.Parse(args).InvokeAsync();
    }
}
