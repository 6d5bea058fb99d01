using System.CommandLine;
using System.Text.Json.Nodes;
using Aetherium.Cli.Output;
using static Aetherium.Cli.Output.Fields;

namespace Aetherium.Cli.Workers;

/// <summary>
/// workers token (mint a new token: shown once, never stored in clear), workers tokens (list a worker's
/// tokens, when and from where each was last used) and workers tokens revoke.
/// </summary>
public static class TokenCommands
{
    public static Command Mint(Terminal terminal, GlobalOptions options)
    {
        var id = Arguments.Id("worker");
        var expiresIn = Arguments.Value<long>("--expires-in", "Token lifetime in seconds (default: the server's, one year)");
        var script = new Option<bool>("--script") { Description = "Print only the install script (aetherium workers token ID --script > install.sh)" };
        var command = new Command("token",
            "Mint a NEW worker token (each call makes one more; older ones stay valid until revoked: 'workers tokens') and print how to install the agent with it")
        {
            id, expiresIn, script,
        };
        return command.Runs(terminal, options, async (i, ct) =>
        {
            var gateway = i.Gateway();
            var response = await gateway.SendAsync(HttpMethod.Post, $"api/v1/workers/{i.Get(id)}/token", new { expires_in = i.Get(expiresIn) }, ct,
                new() { ["expires_in"] = "--expires-in" });
            i.Printer.Print(response, o =>
            {
                var installScript = Text(response.Json, "install_script");
                if (i.Get(script))
                {
                    o.Write(installScript);
                    return;
                }
                var controller = Http.GatewayClient.Name(gateway.BaseUrl);
                var token = Text(response.Json, "token");
                o.WriteLine($"Worker:   {Text(response.Json, "worker_id")}");
                o.WriteLine($"Token:    {token}");
                o.WriteLine($"Token ID: {Text(response.Json, "token_id")}");
                o.WriteLine($"Expires:  {Time(response.Json, "expires_at")}");
                o.WriteLine("The token is shown this once (it is not stored in clear); 'aetherium workers tokens ID' lists and revokes tokens.");
                o.WriteLine();
                o.WriteLine("Install the agent as a service: save the install script below as install.sh on the machine and run");
                o.WriteLine("  sudo bash install.sh        (needs systemd, curl, tar and the .NET 10 runtime)");
                o.WriteLine("or run the agent by hand in a directory of your choice (bash, curl, tar and the .NET 10 runtime):");
                foreach (var line in RunByHand(controller, token)) o.WriteLine("  " + line);
                o.WriteLine();
                o.WriteLine("Install script:");
                o.Write(installScript);
            });
        });
    }

    /// <summary>
    /// Commands that work as printed on a machine without the agent: fetch the package this controller serves,
    /// then run it. The token reaches curl on its standard input and the agent by environment, not as an
    /// argument (arguments are visible to every user of the machine in ps).
    /// </summary>
    public static IEnumerable<string> RunByHand(string controller, string token) =>
    [
        $"export AETHERIUM_TOKEN={Quote(token)}",
        $"mkdir -p aetherium-agent && curl -fsSL -H @- {Quote(controller + "/api/v1/agent/package")} <<<\"Authorization: Bearer $AETHERIUM_TOKEN\" | tar -xz -C aetherium-agent",
        $"dotnet aetherium-agent/aetherium-agent.dll run --controller {Quote(controller)}",
    ];

    private static string Quote(string s) => "'" + s.Replace("'", "'\\''") + "'";

    private static readonly Column[] Columns =
    [
        new("ID", t => Text(t, "id")),
        new("ISSUED", t => Time(t, "issued_at")),
        new("EXPIRES", t => Time(t, "expires_at")),
        new("LAST_USED", t => Time(t, "last_used_at")),
        new("FROM", t => Text(t, "last_used_from")),
        new("STATUS", t => Text(t, "status")),
    ];

    public static Command List(Terminal terminal, GlobalOptions options)
    {
        var id = Arguments.Id("worker");
        var page = Arguments.Value<int>("--page", "Page number (from 1)");
        var limit = Arguments.Value<int>("--limit", "Tokens per page (at most 100)");
        var command = new Command("tokens", "A worker's tokens, newest first: when issued, when they expire, when and from which address an agent last connected with each, status")
        {
            id, page, limit,
        };
        command.Subcommands.Add(Revoke(terminal, options));
        return command.Runs(terminal, options, async (i, ct) =>
        {
            var query = Arguments.Query([("page", i.Get(page)), ("limit", i.Get(limit))]);
            var response = await i.Gateway().SendAsync(HttpMethod.Get, $"api/v1/workers/{i.Get(id)}/tokens" + query, null, ct,
                new() { ["page"] = "--page", ["limit"] = "--limit" });
            i.Printer.Print(response, o =>
            {
                var rows = Items(response.Json, "tokens");
                Printer.Table(o, rows, Columns);
                WorkerCommands.Footer(o, rows.Count, response.Json, "tokens");
            });
        });
    }

    private static Command Revoke(Terminal terminal, GlobalOptions options)
    {
        var id = Arguments.Id("worker");
        var tokenId = Arguments.Id("token", "token-id");
        var command = new Command("revoke", "Revoke one of a worker's tokens: an agent using it is disconnected and refused from now on (TOKEN_REVOKED)")
        {
            id, tokenId,
        };
        return command.Runs(terminal, options, async (i, ct) =>
        {
            var response = await i.Gateway().SendAsync(HttpMethod.Post, $"api/v1/workers/{i.Get(id)}/tokens/{i.Get(tokenId)}/revoke", null, ct);
            i.Printer.Print(response, o => o.WriteLine($"Token {Text(response.Json, "id")} of worker {i.Get(id)}: {Text(response.Json, "status")}."));
        });
    }
}
