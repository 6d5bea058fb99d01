using Aetherium.Agent.Runtime.Process;

namespace Aetherium.Agent.Runtime.Isolation;

/// <summary>One VM's directory and user, as <see cref="VmIsolation.Prepare"/> made them.</summary>
public sealed class VmSandbox(Guid vmId, string directory, int? user, IReadOnlyList<string> runAs)
{
    public Guid VmId { get; } = vmId;

    /// <summary>&lt;data-dir&gt;/vms/&lt;id&gt;: the VM's files, removed with it.</summary>
    public string Directory { get; } = directory;

    /// <summary>The workload's working directory (and HOME when isolated): the one place in its directory it may write.</summary>
    public string Home => Path.Combine(Directory, "home");

    /// <summary>The VM's uid (and gid); null when workloads run as the agent's user.</summary>
    public int? User { get; } = user;

    /// <summary>The command that runs the rest of a command line as the VM's user (setpriv …  --); empty when not isolated.</summary>
    public IReadOnlyList<string> RunAs { get; } = runAs;

    /// <summary>Environment the workload needs as its user: a HOME it can use.</summary>
    public IReadOnlyDictionary<string, string> Environment => User is null
        ? new Dictionary<string, string>()
        : new Dictionary<string, string> { ["HOME"] = Home };

    /// <summary>"user 200001", or "the agent's user": for logs and the VM state reason.</summary>
    public string Description => User is { } uid ? $"user {uid}" : "the agent's user";

    /// <summary>
    /// Gives a file, or a directory and what is in it, that the agent made for the VM to the VM's user;
    /// made by the agent first (in the agent's own directory), so nothing the VM planted is followed.
    /// </summary>
    public void HandOver(string path)
    {
        if (User is not { } uid) return;
        if (System.IO.Directory.Exists(path) && !File.GetAttributes(path).HasFlag(FileAttributes.ReparsePoint))
            foreach (var entry in System.IO.Directory.EnumerateFileSystemEntries(path, "*", SearchOption.AllDirectories))
                Posix.Chown(entry, uid, uid);
        Posix.Chown(path, uid, uid);
    }

    /// <summary>Every live process running as the VM's user (none to tell apart when not isolated).</summary>
    public IReadOnlyList<int> Processes() => User is { } uid ? Posix.ProcessesOfUser(uid) : [];
}
