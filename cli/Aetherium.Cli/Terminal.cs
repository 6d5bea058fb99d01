namespace Aetherium.Cli;

/// <summary>
/// What a command reads and writes and the environment it sees: the process's console, or a test's
/// captured streams (so the CLI runs in-process exactly as from a shell).
/// </summary>
public sealed class Terminal
{
    public required TextWriter Out { get; init; }
    public required TextWriter Error { get; init; }
    public required TextReader In { get; init; }

    /// <summary>True when stdin is a pipe or a file (a password can be read from it), false at a terminal.</summary>
    public required bool InputRedirected { get; init; }

    public required Func<string, string?> Environment { get; init; }

    /// <summary>Reads one line at the terminal without echoing it (the password prompt).</summary>
    public required Func<string?> ReadSecret { get; init; }

    public static Terminal FromConsole() => new()
    {
        Out = Console.Out,
        Error = Console.Error,
        In = Console.In,
        InputRedirected = Console.IsInputRedirected,
        Environment = System.Environment.GetEnvironmentVariable,
        ReadSecret = ReadSecretFromConsole,
    };

    private static string? ReadSecretFromConsole()
    {
        var secret = new System.Text.StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter) break;
            if (key.Key == ConsoleKey.Backspace) { if (secret.Length > 0) secret.Length--; }
            else if (!char.IsControl(key.KeyChar)) secret.Append(key.KeyChar);
        }
        Console.Error.WriteLine();
        return secret.ToString();
    }
}
