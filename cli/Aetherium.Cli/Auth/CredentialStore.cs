using System.Text.Json;

namespace Aetherium.Cli.Auth;

/// <summary>
/// The credentials file, <c>$XDG_CONFIG_HOME/aetherium/credentials.json</c> (else <c>~/.config/aetherium/</c>):
/// the directory is 0700 and the file 0600, written whole to a new file and renamed over the old one so a
/// reader never sees half of it and the tokens are never readable by others, not even for a moment.
/// </summary>
public sealed class CredentialStore(Terminal terminal)
{
    private const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public string Directory { get; } = ConfigDirectory(terminal);
    public string FilePath => Path.Combine(Directory, "credentials.json");
    private string LockPath => Path.Combine(Directory, "credentials.lock");

    private static string ConfigDirectory(Terminal terminal)
    {
        var xdg = terminal.Environment("XDG_CONFIG_HOME");
        var home = terminal.Environment("HOME") is { Length: > 0 } h ? h : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        // The XDG base directory spec: a relative XDG_CONFIG_HOME is invalid and ignored.
        var root = xdg is { Length: > 0 } && Path.IsPathRooted(xdg) ? xdg : Path.Combine(home, ".config");
        return Path.Combine(root, "aetherium");
    }

    public Credentials? Load()
    {
        if (!File.Exists(FilePath)) return null;
        try
        {
            return JsonSerializer.Deserialize<Credentials>(File.ReadAllText(FilePath), Json.Options)
                ?? throw new JsonException("empty");
        }
        catch (Exception ex) when (ex is JsonException or IOException or UnauthorizedAccessException or NotSupportedException)
        {
            throw new CliException($"cannot read {FilePath} ({ex.Message}); run 'aetherium login' again", ExitCodes.NotLoggedIn);
        }
    }

    public void Save(Credentials credentials)
    {
        EnsureDirectory();
        var temporary = FilePath + $".{Environment.ProcessId}.tmp";
        var create = new FileStreamOptions { Mode = System.IO.FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) create.UnixCreateMode = FileMode;
        using (var file = new FileStream(temporary, create))
        {
            JsonSerializer.Serialize(file, credentials, Json.Options);
        }
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(temporary, FileMode); // an old leftover of this name kept its own mode
        File.Move(temporary, FilePath, overwrite: true);
    }

    public bool Delete()
    {
        if (!File.Exists(FilePath)) return false;
        File.Delete(FilePath);
        return true;
    }

    /// <summary>
    /// Runs <paramref name="action"/> while holding the credentials lock, so two commands running at once
    /// do not both spend the same refresh token (identity ends the whole session when a spent one comes back).
    /// </summary>
    public async Task<T> WithLockAsync<T>(Func<Task<T>> action, CancellationToken ct)
    {
        EnsureDirectory();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            FileStream? held = null;
            try
            {
                var open = new FileStreamOptions { Mode = System.IO.FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None };
                if (!OperatingSystem.IsWindows()) open.UnixCreateMode = FileMode;
                held = new FileStream(LockPath, open);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50, ct);
                continue;
            }
            using (held)
                return await action();
        }
    }

    private void EnsureDirectory()
    {
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(Directory)!);
        if (OperatingSystem.IsWindows())
        {
            System.IO.Directory.CreateDirectory(Directory); // the profile's ACL already keeps other users out
            return;
        }
        if (!System.IO.Directory.Exists(Directory)) System.IO.Directory.CreateDirectory(Directory, DirectoryMode);
        // A directory made by hand (or by an older version) is narrowed too: the tokens live in it.
        if (File.GetUnixFileMode(Directory) != DirectoryMode) File.SetUnixFileMode(Directory, DirectoryMode);
    }
}
