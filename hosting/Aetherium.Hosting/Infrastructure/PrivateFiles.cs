namespace Aetherium.Hosting.Infrastructure;

/// <summary>
/// Files that hold a secret (passwords, the broker's config, parameters.json) and the folders they live in:
/// 0600 in 0700, created with that mode so there is never a moment when another user could read them.
/// </summary>
public static class PrivateFiles
{
    public const UnixFileMode File = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    public const UnixFileMode Directory = File | UnixFileMode.UserExecute;
    /// <summary>0711: a folder others may pass through to one of their own below it, but not list.</summary>
    public const UnixFileMode PassThroughDirectory = Directory | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    /// <summary>Creates the folder 0700 (and tightens one left by an older version); its parents are left as they are.</summary>
    public static string CreateDirectory(string path, UnixFileMode mode = Directory)
    {
        if (OperatingSystem.IsWindows()) return System.IO.Directory.CreateDirectory(path).FullName;
        if (System.IO.Directory.Exists(path)) System.IO.File.SetUnixFileMode(path, mode);
        else System.IO.Directory.CreateDirectory(path, mode);
        return path;
    }

    /// <summary>Writes the text to a file created 0600 (an existing file is made 0600 before it is written).</summary>
    public static async Task WriteAllTextAsync(string path, string text, CancellationToken ct = default)
    {
        await using var stream = Open(path);
        await using var writer = new StreamWriter(stream);
        await writer.WriteAsync(text.AsMemory(), ct);
    }

    public static void WriteAllText(string path, string text)
    {
        using var stream = Open(path);
        using var writer = new StreamWriter(stream);
        writer.Write(text);
    }

    private static FileStream Open(string path)
    {
        if (OperatingSystem.IsWindows()) return new FileStream(path, FileMode.Create, FileAccess.Write);
        if (System.IO.File.Exists(path)) System.IO.File.SetUnixFileMode(path, File);
        return new FileStream(path, new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = File });
    }
}
