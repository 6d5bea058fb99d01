using System.CommandLine;
using Aetherium.Agent.Hosting;
using Aetherium.Agent.Install;
using Aetherium.Agent.Runtime;
using Aetherium.Agent.Runtime.Process;
using Aetherium.Agent.Settings;
using Aetherium.Agent.Simulation;
using Aetherium.Agent.Workload;

namespace Aetherium.Agent.Cli;

/// <summary>run | install | vm | simulate (DESIGN §12 "Agent command line").</summary>
public static class AgentCommandLine
{
    public static async Task<int> InvokeAsync(string[] args)
    {
        // The hosts handle SIGTERM themselves (graceful stop, VMs stopped); System.CommandLine's own
        // handler would end the process 2 s after the signal, in the middle of that.
        var configuration = new InvocationConfiguration { ProcessTerminationTimeout = null };
        return await Build().Parse(args).InvokeAsync(configuration);
    }

    public static RootCommand Build()
    {
        var root = new RootCommand("Aetherium node agent: registers this machine with the controller and runs the VMs placed on it.");
        root.Subcommands.Add(RunCommand());
        root.Subcommands.Add(InstallCommand());
        root.Subcommands.Add(VmCommand());
        root.Subcommands.Add(SimulateCommand());
        return root;
    }

    private static Option<string> ControllerOption() => new("--controller") { Description = "The controller (gateway) URL, e.g. http://localhost:8080" };

    private static Option<string> TokenOption() => new("--token") { Description = "This worker's token (POST /api/v1/workers/{id}/token)" };

    private static Option<string> RuntimeOption() => new("--runtime")
    {
        Description = "VM runtime driver: process (real supervised processes), qemu (real virtual machines) or simulated (in memory)",
    };

    private static Command RunCommand()
    {
        var controller = ControllerOption();
        var token = TokenOption();
        var runtime = RuntimeOption();
        runtime.AcceptOnlyFromAmong([.. RuntimeNames.All]);
        var dataDir = new Option<string>("--data-dir") { Description = $"Where VM output and state live (default {SettingsLoader.DefaultDataDirectory()})" };
        var publicAddress = new Option<string>("--public-address") { Description = "The address tenants use to reach this worker's VMs, when not its own IP" };
        var config = new Option<string>("--config") { Description = $"Config file (default {SettingsLoader.DefaultConfigFile} when it exists)" };
        var imageDir = new Option<string>("--image-dir") { Description = "The qemu runtime's VM image, as scripts/build-image.sh builds it (default DATA_DIR/images/aetherium-tiny)" };
        var command = new Command("run", "Run the agent (settings also from AETHERIUM_CONTROLLER, AETHERIUM_TOKEN, AETHERIUM_RUNTIME, AETHERIUM_DATA_DIR, AETHERIUM_IMAGE_DIR or the config file)")
        {
            controller, token, runtime, dataDir, publicAddress, config, imageDir,
        };
        command.SetAction(async (parse, _) =>
        {
            var (settings, error) = SettingsLoader.Resolve(
                new SettingsInput(parse.GetValue(controller), parse.GetValue(token), parse.GetValue(runtime), parse.GetValue(dataDir),
                    parse.GetValue(publicAddress), parse.GetValue(config), parse.GetValue(imageDir)),
                Environment.GetEnvironmentVariable);
            if (settings is null)
            {
                await Console.Error.WriteLineAsync($"aetherium-agent: {error}");
                return 2;
            }
            return await AgentHost.RunAsync(settings);
        });
        return command;
    }

    private static Command InstallCommand()
    {
        var controller = ControllerOption();
        controller.Required = true;
        var token = TokenOption();
        var runtime = RuntimeOption();
        runtime.AcceptOnlyFromAmong([.. RuntimeNames.All]);
        var dataDir = new Option<string>("--data-dir") { Description = "Data directory for the installed agent" };
        var unitDir = new Option<string>("--unit-dir") { Description = "Where the unit file goes", DefaultValueFactory = _ => "/etc/systemd/system" };
        var configDir = new Option<string>("--config-dir") { Description = "Where agent.json (with the token, mode 0600) goes", DefaultValueFactory = _ => "/etc/aetherium-agent" };
        var noStart = new Option<bool>("--no-start") { Description = "Enable the service but do not start it now" };
        var systemdDir = new Option<string>("--systemd-runtime-dir") { Hidden = true, DefaultValueFactory = _ => "/run/systemd/system" };
        var command = new Command("install", "Install the agent as a systemd service and start it")
        {
            controller, token, runtime, dataDir, unitDir, configDir, noStart, systemdDir,
        };
        command.SetAction(async (parse, ct) =>
        {
            var tokenValue = parse.GetValue(token) ?? Environment.GetEnvironmentVariable("AETHERIUM_TOKEN");
            if (string.IsNullOrWhiteSpace(tokenValue))
            {
                await Console.Error.WriteLineAsync("aetherium-agent: no token given: --token TOKEN or AETHERIUM_TOKEN");
                return 2;
            }
            if (!Uri.TryCreate(parse.GetValue(controller), UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                await Console.Error.WriteLineAsync("aetherium-agent: --controller must be an absolute http(s) URL");
                return 2;
            }
            return await Installer.RunAsync(new InstallRequest(uri, tokenValue, parse.GetValue(runtime), parse.GetValue(dataDir),
                Path.GetFullPath(parse.GetValue(unitDir)!), Path.GetFullPath(parse.GetValue(configDir)!), parse.GetValue(noStart),
                SelfCommand.Resolve(), parse.GetValue(systemdDir)!), Console.Out, ct);
        });
        return command;
    }

    private static Command VmCommand()
    {
        var port = new Option<int>("--port") { Description = "TCP port to listen on (all interfaces)", Required = true };
        var name = new Option<string>("--name") { Description = "The VM's name, in the banner", Required = true };
        var command = new Command("vm", "The built-in VM workload: answers every TCP connection with a banner naming the VM") { port, name };
        command.SetAction((parse, ct) => VmWorkload.RunAsync(parse.GetValue(port), parse.GetValue(name)!, Console.Out, ct));
        return command;
    }

    private static Command SimulateCommand()
    {
        var controller = ControllerOption();
        controller.Required = true;
        var username = new Option<string>("--username") { Description = "Account that creates the workers" };
        var password = new Option<string>("--password") { Description = "Its password (or AETHERIUM_PASSWORD, which keeps it out of ps)" };
        var fleet = new Option<string>("--fleet") { Description = "Name the workers after this fleet and take existing ones of it again instead of creating new ones" };
        var workers = new Option<int>("--workers") { Description = "How many simulated workers", DefaultValueFactory = _ => 10 };
        var zone = new Option<string>("--zone") { Description = "Zone of the created workers" };
        var heartbeat = new Option<int?>("--heartbeat-interval") { Description = "Heartbeat every this many ms instead of the controller's interval (load tests)" };
        var tokensFile = new Option<string>("--tokens-file") { Description = "Ready tokens, one agent a line (\"name token\" or \"token\"): no workers are created" };
        var connectRate = new Option<int>("--connects-per-second")
        {
            Description = "Agents start connecting at this rate, so a big fleet does not reach the controller all at once",
            DefaultValueFactory = _ => new FleetOptions().ConnectsPerSecond,
        };
        var command = new Command("simulate", "Run N simulated agents in one process (creates the workers through the API and takes their tokens)")
        {
            controller, username, password, workers, zone, heartbeat, tokensFile, fleet, connectRate,
        };
        command.SetAction(async (parse, ct) =>
        {
            var uri = new Uri(parse.GetValue(controller)!);
            IReadOnlyList<FleetMember> members;
            if (parse.GetValue(tokensFile) is { } file)
            {
                members = FleetProvisioner.ReadTokensFile(file);
            }
            else
            {
                if (parse.GetValue(username) is not { } user
                    || (parse.GetValue(password) ?? Environment.GetEnvironmentVariable("AETHERIUM_PASSWORD")) is not { } pass)
                {
                    await Console.Error.WriteLineAsync("aetherium-agent: simulate needs --username and --password (or --tokens-file)");
                    return 2;
                }
                using var client = new Connection.ControllerClient(uri);
                try
                {
                    members = await FleetProvisioner.CreateWorkersAsync(client.Http, user, pass, parse.GetValue(workers), parse.GetValue(zone),
                        Console.Out, ct, parse.GetValue(fleet));
                }
                catch (HttpRequestException e)
                {
                    await Console.Error.WriteLineAsync($"aetherium-agent: {e.Message}");
                    return 1;
                }
            }
            var interval = parse.GetValue(heartbeat);
            return await FleetHost.RunAsync(uri, members,
                new FleetOptions
                {
                    HeartbeatInterval = interval is > 0 ? TimeSpan.FromMilliseconds(interval.Value) : null,
                    ConnectsPerSecond = Math.Max(1, parse.GetValue(connectRate)),
                });
        });
        return command;
    }
}
