using System.Text;
using Aetherium.Agent.Runtime.Isolation;
using Aetherium.Contracts;

namespace Aetherium.Agent.Runtime.Process;

/// <summary>
/// The tenant's sign-in, given to a VM of the process driver as files in its directory
/// (<c>&lt;data-dir&gt;/vms/&lt;id&gt;/access/</c>, mode 0700, files 0600): a cloud-init NoCloud seed
/// (<c>user-data</c>, <c>meta-data</c>), as a VM image would be given it on a seed disk, and, for a key,
/// an <c>authorized_keys</c> file a workload's sshd can be pointed at. Written by the agent in a directory
/// it has just made, then handed over to the VM's user: only that user (and root) can read them; they are
/// removed with the VM.
/// </summary>
internal static class VmAccessFiles
{
    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode PrivateDirectory = Private | UnixFileMode.UserExecute;

    /// <summary>Writes the files (replacing any earlier ones) and hands them to the VM's user; returns the environment that names them.</summary>
    public static IReadOnlyDictionary<string, string> Write(VmSandbox sandbox, string name, VmAccess? access)
    {
        var environment = WriteFiles(sandbox.Directory, sandbox.VmId, name, access);
        if (access is not null) sandbox.HandOver(DirectoryOf(sandbox.Directory));
        return environment;
    }

    /// <summary>
    /// Writes the files into the VM directory's <c>access/</c> (replacing any earlier ones), owned by the agent;
    /// none when the VM has no sign-in. The qemu driver puts them on the VM's seed disk.
    /// </summary>
    public static IReadOnlyDictionary<string, string> WriteFiles(string vmDirectory, Guid vmId, string name, VmAccess? access)
    {
        var dir = DirectoryOf(vmDirectory);
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true); // links are removed, not followed
        if (access is null) return new Dictionary<string, string>();
        Directory.CreateDirectory(dir, PrivateDirectory);
        var environment = new Dictionary<string, string>
        {
            ["AETHERIUM_VM_USER"] = access.Username,
            ["AETHERIUM_VM_ACCESS_DIR"] = dir,
        };
        var key = string.IsNullOrWhiteSpace(access.SshPublicKey) ? null : access.SshPublicKey.Trim();
        WritePrivate(Path.Combine(dir, "meta-data"), MetaData(vmId, name));
        WritePrivate(Path.Combine(dir, "user-data"), UserData(access.Username, key, access.PasswordHash));
        if (key is not null)
        {
            var keys = Path.Combine(dir, "authorized_keys");
            WritePrivate(keys, key + "\n");
            environment["AETHERIUM_VM_AUTHORIZED_KEYS"] = keys;
        }
        return environment;
    }

    public static string DirectoryOf(string vmDirectory) => Path.Combine(vmDirectory, "access");

    /// <summary>NoCloud meta-data: the instance id and the hostname (the VM's name).</summary>
    public static string MetaData(Guid vmId, string name) => $"instance-id: {vmId}\nlocal-hostname: {Yaml(name)}\n";

    /// <summary>cloud-config creating the tenant's account with its key, or with the password's crypt(3) hash.</summary>
    private static string UserData(string username, string? key, string? passwordHash)
    {
        var text = new StringBuilder("#cloud-config\nusers:\n");
        text.Append("  - name: ").Append(Yaml(username)).Append('\n');
        text.Append("    shell: /bin/bash\n    sudo: \"ALL=(ALL) NOPASSWD:ALL\"\n");
        if (key is not null)
            text.Append("    ssh_authorized_keys:\n      - ").Append(Yaml(key)).Append('\n').Append("    lock_passwd: true\n");
        else if (!string.IsNullOrEmpty(passwordHash))
            text.Append("    hashed_passwd: ").Append(Yaml(passwordHash)).Append('\n').Append("    lock_passwd: false\n")
                .Append("ssh_pwauth: true\n");
        return text.ToString();
    }

    /// <summary>A YAML double-quoted scalar.</summary>
    private static string Yaml(string value) =>
        "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)
            .Replace("\n", "\\n", StringComparison.Ordinal).Replace("\r", "\\r", StringComparison.Ordinal) + "\"";

    private static void WritePrivate(string path, string content)
    {
        using var file = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = Private,
        });
        file.Write(Encoding.UTF8.GetBytes(content));
    }
}
