using System.CommandLine;
using Aetherium.Cli.Auth;
using Aetherium.Cli.Http;
using Aetherium.Cli.Output;

namespace Aetherium.Cli;

/// <summary>The options every command takes (--gateway, --json), made once per command tree.</summary>
public sealed class GlobalOptions
{
    public Option<string> Gateway { get; } = new("--gateway")
    {
        Description = $"The gateway's URL (default: AETHERIUM_GATEWAY, else the one you logged in to, else {GatewayClient.DefaultGateway})",
        Recursive = true,
    };

    public Option<bool> Json { get; } = new("--json") { Description = "Print the API's JSON unchanged (for scripts)", Recursive = true };
}

/// <summary>One run of one command: its parsed options, where it prints, and the gateway it talks to.</summary>
public sealed class Invocation(ParseResult parse, Terminal terminal, GlobalOptions options) : IDisposable
{
    private GatewayClient? _gateway;

    public ParseResult Parse => parse;
    public Terminal Terminal => terminal;
    public TextWriter Out => terminal.Out;
    public bool Json => parse.GetValue(options.Json);
    public Printer Printer => new(terminal.Out, Json);
    public CredentialStore Store { get; } = new(terminal);

    public T? Get<T>(Option<T> option) => parse.GetValue(option);
    public T Get<T>(Argument<T> argument) => parse.GetValue(argument)!;

    /// <summary>The gateway client; <paramref name="useStored"/> false ignores the stored session's URL (login).</summary>
    public GatewayClient Gateway(bool useStored = true) =>
        _gateway ??= new GatewayClient(GatewayClient.Resolve(parse.GetValue(options.Gateway), terminal, Store, useStored), Store);

    public void Dispose() => _gateway?.Dispose();
}

public static class CommandExtensions
{
    /// <summary>Sets the command's action; what it returns is the exit code (errors are thrown as <see cref="CliException"/>).</summary>
    public static Command Runs(this Command command, Terminal terminal, GlobalOptions options, Func<Invocation, CancellationToken, Task<int>> action)
    {
        command.SetAction(async (parse, ct) =>
        {
            using var invocation = new Invocation(parse, terminal, options);
            return await action(invocation, ct);
        });
        return command;
    }

    /// <summary>As <see cref="Runs"/>, for commands that succeed with exit code 0.</summary>
    public static Command Runs(this Command command, Terminal terminal, GlobalOptions options, Func<Invocation, CancellationToken, Task> action) =>
        command.Runs(terminal, options, async (i, ct) => { await action(i, ct); return ExitCodes.Ok; });
}
