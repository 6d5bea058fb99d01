using Aetherium.Agent.Connection;
using Aetherium.Agent.Facts;
using Aetherium.Agent.Runtime;
using Microsoft.Extensions.Logging;

namespace Aetherium.Agent.Simulation;

/// <summary>One virtual worker of a fleet: the name it reports as its hostname, and its worker token.</summary>
public sealed record FleetMember(string Name, string Token);

public sealed class FleetOptions
{
    public SimulatedMachine Machine { get; init; } = new();

    /// <summary>Beat at this pace instead of REGISTER_ACK's (load generation).</summary>
    public TimeSpan? HeartbeatInterval { get; init; }

    /// <summary>Agents connect at this rate, so a big fleet does not hit the controller all in one instant.</summary>
    public int ConnectsPerSecond { get; init; } = 200;
}

/// <summary>
/// N simulated agents in one process (seed 000's mock agent, at scale): each a full
/// <see cref="NodeAgent"/> with the simulated driver, all sharing one HTTP handler. No agent owns a
/// thread; what an agent costs is its objects and its socket.
/// </summary>
public sealed class Fleet : IDisposable
{
    private readonly ControllerClient _controller;
    private readonly FleetOptions _options;

    public Fleet(Uri controller, IReadOnlyList<FleetMember> members, FleetOptions options, ILoggerFactory loggers)
    {
        _controller = new ControllerClient(controller);
        _options = options;
        Agents = members.Select(m => new NodeAgent(
            new AgentOptions { Token = m.Token, HeartbeatIntervalOverride = options.HeartbeatInterval },
            new SimulatedFacts(m.Name, options.Machine),
            new SimulatedDriver(),
            _controller,
            loggers.CreateLogger($"Aetherium.Agent.Fleet[{m.Name}]"))).ToList();
    }

    public IReadOnlyList<NodeAgent> Agents { get; }

    public int Registered => Agents.Count(a => a.Status == AgentStatus.Registered);

    public async Task RunAsync(CancellationToken stop)
    {
        var running = new List<Task>(Agents.Count);
        var gap = TimeSpan.FromSeconds(1.0 / Math.Max(1, _options.ConnectsPerSecond));
        var batch = Math.Max(1, _options.ConnectsPerSecond / 20);
        for (var i = 0; i < Agents.Count && !stop.IsCancellationRequested; i++)
        {
            running.Add(Agents[i].RunAsync(stop));
            if ((i + 1) % batch != 0) continue;
            try
            {
                await Task.Delay(gap * batch, stop);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        await Task.WhenAll(running);
    }

    public void Dispose() => _controller.Dispose();

    /// <summary>This process's resident set size (VmRSS), for the figures simulate reports.</summary>
    public static long ResidentBytes()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line[6..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        return 0;
    }
}
