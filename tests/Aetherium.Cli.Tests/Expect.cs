using Xunit;

namespace Aetherium.Cli.Tests;

/// <summary>What every command's outcome must look like to a user.</summary>
public static class Expect
{
    public static CliResult Success(CliResult result)
    {
        Assert.True(result.ExitCode == 0, result.ToString());
        NoStackTrace(result);
        return result;
    }

    /// <summary>A failure: the exit code, stdout empty, and stderr one line "error: ..." containing each of <paramref name="says"/>.</summary>
    public static string Failure(CliResult result, int exitCode, params string[] says)
    {
        Assert.True(result.ExitCode == exitCode, $"expected exit {exitCode}; {result}");
        NoStackTrace(result);
        Assert.Equal("", result.Out);
        var lines = result.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var error = Assert.Single(lines, l => l.StartsWith("error: ", StringComparison.Ordinal));
        // At most a usage hint beside the error line.
        Assert.All(lines.Where(l => l != error), l => Assert.StartsWith("Run 'aetherium", l));
        foreach (var text in says) Assert.Contains(text, error);
        return error;
    }

    public static void NoStackTrace(CliResult result)
    {
        foreach (var text in new[] { result.Out, result.Err })
        {
            Assert.DoesNotContain("   at ", text);
            Assert.DoesNotContain("Exception", text);
        }
    }
}
