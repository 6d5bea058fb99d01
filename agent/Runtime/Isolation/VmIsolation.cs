using System.Globalization;
using Aetherium.Agent.Runtime.Process;
using Microsoft.Extensions.Logging;

namespace Aetherium.Agent.Runtime.Isolation;

/// <summary>
/// Who a VM's processes run as, and where its files live; one per driver, used by every driver that
/// starts processes for a VM. As root, each VM gets a user id of its own (its group id the same number)
/// from <see cref="IdRange"/>, recorded in its directory so that a restarted agent gives it the same one,
/// and its processes start through <c>setpriv</c>: that uid and gid, no supplementary groups, no new
/// privileges. Not root (a developer's machine), there is nobody to drop to: workloads run as the agent's
/// user, which the log says once.
/// <para>Layout as root, so that nothing a VM may change is a place the agent (root) writes to:</para>
/// <code>
/// &lt;data-dir&gt;/             root 0711      VM users pass through to their own directory; nobody lists it
/// &lt;data-dir&gt;/vms/         root 0711
/// &lt;data-dir&gt;/vms/&lt;id&gt;/    root:&lt;gid&gt; 0750  the VM's directory: its user reads it, only the agent writes it
///   vm-user                root 0644      the VM's uid
///   output.log             root           written by the agent
///   access/                &lt;uid&gt; 0700    the tenant's sign-in, files 0600 (made by the agent, then handed over)
///   home/                  &lt;uid&gt; 0700    the workload's working directory and HOME
/// </code>
/// </summary>
public sealed class VmIsolation
{
    private const string UserFile = "vm-user";
    private const string LastUserFile = "last-vm-user";
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode PassThrough = OwnerOnly | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
    private const UnixFileMode OwnerAndGroup = OwnerOnly | UnixFileMode.GroupRead | UnixFileMode.GroupExecute;
    private const UnixFileMode Readable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    private readonly string _vms;
    private readonly IdRange _range;
    private readonly string? _setpriv;
    private readonly Lock _gate = new();
    private readonly Dictionary<int, Guid> _taken = [];

    private VmIsolation(string vms, IdRange range, string? setpriv)
    {
        _vms = vms;
        _range = range;
        _setpriv = setpriv;
    }

    /// <summary>Whether VMs run as users of their own (the agent is root).</summary>
    public bool Isolates => _setpriv is not null;

    /// <summary>Where VM directories live: &lt;data-dir&gt;/vms.</summary>
    public string VmsDirectory => _vms;

    /// <param name="asRoot">whether to isolate; the agent's own privilege unless a caller knows better</param>
    public static VmIsolation Create(string dataDirectory, IdRange range, ILogger logger, bool? asRoot = null)
    {
        var vms = Path.Combine(dataDirectory, "vms");
        if (!(asRoot ?? Environment.IsPrivilegedProcess))
        {
            Directory.CreateDirectory(dataDirectory);
            Directory.CreateDirectory(vms, OwnerOnly);
            logger.LogWarning("The agent does not run as root: VM workloads run as its own user ({User}) and are not isolated from it or from each other; run it as root to give each VM an unprivileged user of its own",
                Environment.UserName);
            return new VmIsolation(vms, range, null);
        }
        var setpriv = FindOnPath("setpriv")
                      ?? throw new InvalidOperationException("setpriv (util-linux) not found: the agent runs as root and will not run tenants' workloads as root; install util-linux");
        Directory.CreateDirectory(dataDirectory);
        if (File.GetUnixFileMode(dataDirectory).HasFlag(UnixFileMode.OtherWrite))
            throw new InvalidOperationException($"the data directory {dataDirectory} is writable by every user; give the agent a directory of its own");
        foreach (var dir in new[] { dataDirectory, vms })
        {
            Directory.CreateDirectory(dir);
            Posix.Chown(dir, 0, 0);
            File.SetUnixFileMode(dir, PassThrough);
        }
        var isolation = new VmIsolation(vms, range, setpriv);
        foreach (var dir in Directory.EnumerateDirectories(vms))
            if (Guid.TryParseExact(Path.GetFileName(dir), "N", out var vmId) && RecordedUser(dir) is { } uid && range.Contains(uid))
                isolation._taken.TryAdd(uid, vmId);
        if (isolation.Unreachable(dataDirectory) is { } blocked)
            logger.LogWarning("VM users cannot pass {Blocked}: workloads will not reach their own files under {DataDirectory}", blocked, dataDirectory);
        logger.LogInformation("VM workloads run as users of their own, from the ids {Range} (setpriv: no supplementary groups, no new privileges)", range);
        return isolation;
    }

    /// <summary>
    /// The VM's directory and user, made ready for its processes. Called once per VM per driver: whatever
    /// still runs as its user was left by an earlier agent (which stopped it, or died) and is killed.
    /// </summary>
    public VmSandbox Prepare(Guid vmId)
    {
        var dir = Path.Combine(_vms, vmId.ToString("N"));
        Directory.CreateDirectory(dir, OwnerOnly);
        var home = Path.Combine(dir, "home");
        if (_setpriv is null)
        {
            File.SetUnixFileMode(dir, OwnerOnly);
            Directory.CreateDirectory(home, OwnerOnly);
            return new VmSandbox(vmId, dir, null, []);
        }
        var uid = UserOf(vmId, dir);
        foreach (var pid in Posix.ProcessesOfUser(uid)) Posix.Kill(pid, Posix.SigKill);
        Posix.Chown(dir, 0, uid);
        File.SetUnixFileMode(dir, OwnerAndGroup);
        Directory.CreateDirectory(home);
        Posix.Chown(home, uid, uid);
        File.SetUnixFileMode(home, OwnerOnly);
        return new VmSandbox(vmId, dir, uid,
            [_setpriv, $"--reuid={uid}", $"--regid={uid}", "--clear-groups", "--no-new-privs", "--"]);
    }

    /// <summary>Kills whatever still runs as the VM's user, deletes its directory and frees its id.</summary>
    public async Task RemoveAsync(VmSandbox sandbox)
    {
        if (sandbox.User is { } uid)
        {
            for (var attempt = 0; attempt < 40; attempt++)
            {
                var left = Posix.ProcessesOfUser(uid);
                if (left.Count == 0) break;
                foreach (var pid in left) Posix.Kill(pid, Posix.SigKill);
                await Task.Delay(50);
            }
        }
        if (Directory.Exists(sandbox.Directory)) Directory.Delete(sandbox.Directory, recursive: true); // links are removed, not followed
        if (sandbox.User is { } id) lock (_gate) _taken.Remove(id);
    }

    /// <summary>
    /// The first part of <paramref name="path"/> a VM's user cannot reach (a directory others may not pass,
    /// a file others may not read and run), or null. As the agent's user, everything is reachable.
    /// </summary>
    public string? Unreachable(string path)
    {
        if (_setpriv is null || !Path.IsPathFullyQualified(path)) return null;
        const UnixFileMode readAndRun = UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
        if (File.Exists(path) && (File.GetUnixFileMode(path) & readAndRun) != readAndRun) return path;
        if (!File.Exists(path) && !Directory.Exists(path)) return null;
        for (var dir = File.Exists(path) ? Path.GetDirectoryName(path) : path; dir is not null; dir = Path.GetDirectoryName(dir))
            if (!File.GetUnixFileMode(dir).HasFlag(UnixFileMode.OtherExecute)) return dir;
        return null;
    }

    /// <summary>The VM's recorded uid, or the next free one after the last handed out (so ids are reused as late as possible).</summary>
    private int UserOf(Guid vmId, string dir)
    {
        lock (_gate)
        {
            // A recorded id is taken again only if nothing else runs as it now: another agent on this machine (it
            // allocates from the same range) may have handed it out meanwhile, and stopping that VM ends its user's processes.
            if (RecordedUser(dir) is { } recorded && _range.Contains(recorded)
                && (_taken.TryGetValue(recorded, out var holder) ? holder == vmId : Posix.ProcessesOfUser(recorded).Count == 0))
            {
                _taken[recorded] = vmId;
                return recorded;
            }
            var machine = MachineIds();
            var lastFile = Path.Combine(_vms, LastUserFile);
            var last = File.Exists(lastFile) && int.TryParse(File.ReadAllText(lastFile).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var l) && _range.Contains(l)
                ? l - _range.First
                : -1;
            for (var step = 1; step <= _range.Count; step++)
            {
                var uid = _range.First + (int)((last + (long)step) % _range.Count);
                if (_taken.ContainsKey(uid) || machine.Contains(uid) || Posix.ProcessesOfUser(uid).Count > 0) continue;
                _taken[uid] = vmId;
                WriteReadable(lastFile, uid);
                WriteReadable(Path.Combine(dir, UserFile), uid);
                return uid;
            }
            throw new IOException($"no free VM user id left in {_range}: every one is held by a VM or a user of this machine");
        }
    }

    private static int? RecordedUser(string dir)
    {
        var file = Path.Combine(dir, UserFile);
        try
        {
            return int.TryParse(File.ReadAllText(file).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var uid) ? uid : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static void WriteReadable(string path, int value)
    {
        File.WriteAllText(path, value.ToString(CultureInfo.InvariantCulture) + "\n");
        File.SetUnixFileMode(path, Readable);
    }

    /// <summary>The uids and gids of the machine's own users and groups: never given to a VM.</summary>
    private static HashSet<int> MachineIds()
    {
        var ids = new HashSet<int>();
        foreach (var file in new[] { "/etc/passwd", "/etc/group" })
        {
            if (!File.Exists(file)) continue;
            foreach (var line in File.ReadLines(file))
            {
                var fields = line.Split(':');
                if (fields.Length > 2 && int.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out var id)) ids.Add(id);
            }
        }
        return ids;
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin")
        .Split(':', StringSplitOptions.RemoveEmptyEntries)
        .Select(dir => Path.Combine(dir, name))
        .FirstOrDefault(File.Exists);
}
