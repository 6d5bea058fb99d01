namespace Aetherium.Cli;

/// <summary>Exit codes a script can tell apart (also in the README).</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>The API refused the request (its ProblemDetails was printed).</summary>
    public const int Failed = 1;
    /// <summary>The command line itself was wrong.</summary>
    public const int Usage = 2;
    /// <summary>Not logged in to this gateway, or the session ended.</summary>
    public const int NotLoggedIn = 3;
    /// <summary>The gateway could not be reached.</summary>
    public const int Unreachable = 4;
    /// <summary>Interrupted (Ctrl+C) before the command finished.</summary>
    public const int Interrupted = 130;
}

/// <summary>A failure the user is told about in one line (never a stack trace), with its exit code.</summary>
public class CliException(string message, int exitCode = ExitCodes.Failed) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}

/// <summary>The API answered with an error status; <see cref="Status"/> lets a caller react to some (a refused refresh).</summary>
public sealed class ApiException(int status, string message, int exitCode) : CliException(message, exitCode)
{
    public int Status { get; } = status;
}
