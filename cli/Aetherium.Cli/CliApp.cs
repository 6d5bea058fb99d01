using System.CommandLine;
using System.CommandLine.Parsing;
using Aetherium.Cli.Auth;
using Aetherium.Cli.Cluster;
using Aetherium.Cli.Leases;
using Aetherium.Cli.Usage;
using Aetherium.Cli.Vms;
using Aetherium.Cli.Watch;
using Aetherium.Cli.Workers;

namespace Aetherium.Cli;

/// <summary>
/// The aetherium command tree and its one rule for failures: a line on stderr saying what went wrong
/// (the API's ProblemDetails, an unreachable gateway, a wrong option) and a non-zero exit code, never a
/// stack trace.
/// </summary>
public static class CliApp
{
    public static RootCommand Build(Terminal terminal)
    {
        var options = new GlobalOptions();
        var root = new RootCommand("aetherium: the command-line client of an Aetherium compute cloud (workers, VMs, leases, live events)")
        {
            options.Gateway,
            options.Json,
        };
        root.Subcommands.Add(AuthCommands.Login(terminal, options));
        root.Subcommands.Add(AuthCommands.Logout(terminal, options));
        root.Subcommands.Add(WorkerCommands.Build(terminal, options));
        root.Subcommands.Add(VmCommands.Build(terminal, options));
        root.Subcommands.Add(LeaseCommands.Build(terminal, options));
        root.Subcommands.Add(ClusterCommands.Build(terminal, options));
        root.Subcommands.Add(UsageCommand.Build(terminal, options));
        root.Subcommands.Add(WatchCommand.Build(terminal, options));
        return root;
    }

    public static async Task<int> RunAsync(string[] args, Terminal terminal, CancellationToken ct = default)
    {
        // Bare "aetherium" shows what it can do rather than an error.
        var parse = Build(terminal).Parse(args.Length == 0 ? ["--help"] : args);
        if (parse.Errors.Count > 0)
        {
            // One line: an unknown word explains the rest ("Required command was not provided" follows from it).
            var errors = parse.UnmatchedTokens.Count > 0
                ? [$"unknown command or argument '{string.Join(' ', parse.UnmatchedTokens)}'"]
                : parse.Errors.Select(e => e.Message.TrimEnd('.')).Distinct().ToList();
            terminal.Error.WriteLine($"error: {string.Join("; ", errors)}");
            var path = new List<string> { "aetherium" };
            for (SymbolResult? r = parse.CommandResult; r is CommandResult { Command: not RootCommand } c; r = r.Parent) path.Insert(1, c.Command.Name);
            terminal.Error.WriteLine($"Run '{string.Join(' ', path)} --help' for usage.");
            return ExitCodes.Usage;
        }
        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration
            {
                Output = terminal.Out,
                Error = terminal.Error,
                EnableDefaultExceptionHandler = false,
            }, ct);
        }
        catch (CliException ex)
        {
            terminal.Error.WriteLine($"error: {ex.Message}");
            return ex.ExitCode;
        }
        catch (OperationCanceledException)
        {
            terminal.Error.WriteLine("interrupted");
            return ExitCodes.Interrupted;
        }
        catch (Exception ex)
        {
            // Unforeseen, yet still one line: the message, never the stack.
            terminal.Error.WriteLine($"error: {ex.Message}");
            return ExitCodes.Failed;
        }
    }
}
