namespace Aetherium.Agent.Runtime.Process;

/// <summary>
/// A VM's output: the last lines in memory (a ring buffer, for failure reasons and inspection) and
/// everything in a log file under the agent's data directory, rotated once it grows past a cap.
/// </summary>
public sealed class OutputLog : IDisposable
{
    private const long RotateAtBytes = 10 * 1024 * 1024;

    private readonly string _path;
    private readonly int _capacity;
    private readonly Queue<string> _lines;
    private readonly Lock _gate = new();
    private StreamWriter _file;
    private bool _closed;

    public OutputLog(string path, int capacity)
    {
        _path = path;
        _capacity = capacity;
        _lines = new Queue<string>(capacity);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        _file = Open(path);
    }

    public string FilePath => _path;

    private static StreamWriter Open(string path) => new(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read)) { AutoFlush = true };

    public void Append(string stream, string? line)
    {
        if (line is null) return;
        lock (_gate)
        {
            // A descendant that escaped the kill may still write after the VM is gone: nowhere to go.
            if (_closed) return;
            if (_lines.Count == _capacity) _lines.Dequeue();
            _lines.Enqueue(line);
            _file.WriteLine($"{DateTimeOffset.UtcNow:O} {stream} {line}");
            if (_file.BaseStream.Length > RotateAtBytes)
            {
                _file.Dispose();
                File.Move(_path, _path + ".1", overwrite: true);
                _file = Open(_path);
            }
        }
    }

    /// <summary>A marker in the file only (start, exit), so the file tells the whole story of the VM.</summary>
    public void Note(string text)
    {
        lock (_gate)
        {
            if (!_closed) _file.WriteLine($"{DateTimeOffset.UtcNow:O} agent {text}");
        }
    }

    public IReadOnlyList<string> Tail()
    {
        lock (_gate) return [.. _lines];
    }

    public string? LastLine()
    {
        lock (_gate) return _lines.Count == 0 ? null : _lines.Last();
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _closed = true;
            _file.Dispose();
        }
    }
}
