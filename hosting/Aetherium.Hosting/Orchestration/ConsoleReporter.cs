using Aetherium.Hosting.ApplicationModel;

namespace Aetherium.Hosting.Orchestration;

/// <summary>The launcher's console: each resource's output behind a coloured prefix, and its state changes.</summary>
internal sealed class ConsoleReporter
{
    private static readonly int[] Colours = [36, 32, 33, 35, 34, 96, 92, 93, 95, 94];
    private readonly bool _colour = !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("NO_COLOR") is null;
    private readonly object _gate = new();
    private int _width = 12;

    public void Output(ResourceInstance instance, string line, bool isError) =>
        Write($"{Prefix(instance)} {(isError && _colour ? "\u001b[31m" + line + "\u001b[0m" : line)}");

    public void StateChanged(ResourceInstance instance)
    {
        var url = instance.Url is null || instance.State != ResourceStates.Running ? "" : "  " + instance.Url;
        var reason = instance.StateReason is null || instance.State == ResourceStates.Running ? "" : $" ({instance.StateReason})";
        Write($"{Prefix(instance)} {Bold(instance.State)}{reason}{url}");
    }

    public void Banner(DistributedApplication app)
    {
        _width = Math.Max(_width, app.Instances.Max(i => i.Name.Length));
        Line($"Aetherium AppHost: {app.Instances.Count} resources, state in {app.Builder.DataDirectory}");
        // Resolving generates what is missing; only parameters meant for the user are shown, and only when new.
        foreach (var p in app.Builder.Resources.OfType<ParameterResource>().Where(p => p.Announce && p.Value.Length > 0 && p.WasGenerated))
            Line($"generated {p.Name}: {p.Value}  (kept in {app.Builder.ParametersFile}; shown only this once)");
    }

    public void AllRunning(DistributedApplication app, TimeSpan sinceStart, TimeSpan sinceLaunch)
    {
        Line($"all resources running in {sinceStart.TotalSeconds:0.0} s ({sinceLaunch.TotalSeconds:0.0} s since the AppHost process started):");
        foreach (var i in app.Instances)
            Line($"  {i.Name.PadRight(_width)}  {i.State,-10} {i.Url ?? ConnectionHint(i.Resource)}");
        Line("Ctrl+C stops everything.");
    }

    public void Failure(string message) => Line("start failed: " + message);

    public void Line(string text) => Write($"{(_colour ? "\u001b[1m" : "")}apphost{(_colour ? "\u001b[0m" : "")} {text}");

    private static string ConnectionHint(Resource r) => r switch
    {
        PostgresServerResource { IsExternal: false } pg => $"postgres://localhost:{pg.Port}",
        PostgresServerResource => "external server",
        PostgresDatabaseResource db => $"database {db.DatabaseName}",
        RabbitMQServerResource { IsExternal: false } mq => $"amqp://localhost:{mq.Port}" + (mq.Management ? $"  management http://localhost:{mq.ManagementPort}" : ""),
        RabbitMQServerResource => "external broker",
        _ => "",
    };

    private string Prefix(ResourceInstance instance)
    {
        var name = instance.Name.PadRight(_width);
        if (!_colour) return name + " |";
        var colour = Colours[(uint)instance.Resource.Name.GetHashCode(StringComparison.Ordinal) % Colours.Length];
        return $"\u001b[{colour}m{name} |\u001b[0m";
    }

    private string Bold(string s) => _colour ? $"\u001b[1m{s}\u001b[0m" : s;

    private void Write(string s)
    {
        lock (_gate) Console.Out.WriteLine(s);
    }
}
