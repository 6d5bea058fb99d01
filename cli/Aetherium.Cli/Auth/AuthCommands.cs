using System.CommandLine;
using Aetherium.Cli.Http;

namespace Aetherium.Cli.Auth;

/// <summary>login and logout: the session kept in the credentials file (see <see cref="CredentialStore"/>).</summary>
public static class AuthCommands
{
    public static Command Login(Terminal terminal, GlobalOptions options)
    {
        var username = new Option<string>("--username", "-u") { Description = "Account name (prompted for at a terminal when left out)" };
        var password = new Option<string>("--password", "-p")
        {
            Description = "Password; when left out it is read from stdin (a pipe) or prompted for without echo. Prefer those: arguments show in ps",
        };
        var command = new Command("login", "Sign in with a password; the session is kept in ~/.config/aetherium/credentials.json (mode 0600)")
        {
            username, password,
        };
        return command.Runs(terminal, options, async (i, ct) =>
        {
            var gateway = i.Gateway(useStored: false);
            var name = i.Get(username) ?? Prompt(terminal, "Username: ", secret: false)
                ?? throw new CliException("--username is required when stdin is not a terminal", ExitCodes.Usage);
            var secret = i.Get(password) ?? ReadPassword(terminal)
                ?? throw new CliException("no password given (--password, a line on stdin, or the prompt)", ExitCodes.Usage);

            var login = await gateway.SendAnonymousAsync(HttpMethod.Post, "api/v1/auth/login", new { username = name, password = secret }, ct);
            var credentials = GatewayClient.FromLogin(GatewayClient.Name(gateway.BaseUrl), name, login);
            i.Store.Save(credentials);
            var me = await gateway.SendAsync(HttpMethod.Get, "api/v1/users/me", null, ct);
            i.Printer.Print(me, o => o.WriteLine(
                $"Logged in to {credentials.Gateway} as {Output.Fields.Text(me.Json, "username")} (roles: {Output.Fields.Text(me.Json, "roles")}, organisation {Output.Fields.Text(me.Json, "organization_name")})."));
        });
    }

    public static Command Logout(Terminal terminal, GlobalOptions options)
    {
        var command = new Command("logout", "End the session at the gateway and remove the stored credentials");
        return command.Runs(terminal, options, async (i, ct) =>
        {
            var stored = i.Store.Load();
            if (stored is null)
            {
                if (!i.Json) i.Out.WriteLine("Not logged in.");
                return;
            }
            try
            {
                using var gateway = new GatewayClient(new Uri(stored.Gateway), i.Store);
                await gateway.SendAnonymousAsync(HttpMethod.Post, "api/v1/auth/logout", new { refresh_token = stored.RefreshToken }, ct);
            }
            catch (CliException ex)
            {
                // The local session goes anyway: keeping tokens the user asked to be rid of helps nobody.
                terminal.Error.WriteLine($"warning: the gateway did not end the session ({ex.Message}); its access token stays valid until it expires");
            }
            i.Store.Delete();
            if (!i.Json) i.Out.WriteLine($"Logged out of {stored.Gateway}.");
        });
    }

    private static string? ReadPassword(Terminal terminal)
    {
        if (terminal.InputRedirected) return terminal.In.ReadLine();
        return Prompt(terminal, "Password: ", secret: true);
    }

    /// <summary>Asks at the terminal (prompt on stderr, so stdout stays the command's output); null when stdin is not one.</summary>
    private static string? Prompt(Terminal terminal, string prompt, bool secret)
    {
        if (terminal.InputRedirected) return null;
        terminal.Error.Write(prompt);
        var answer = secret ? terminal.ReadSecret() : terminal.In.ReadLine();
        return string.IsNullOrEmpty(answer) ? null : answer;
    }
}
