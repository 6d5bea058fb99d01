using Aetherium.Hosting.ApplicationModel;

namespace Aetherium.Hosting.Orchestration;

/// <summary>
/// One running unit of a resource: the resource itself, or one replica of a project
/// (<c>inventory-0</c>, <c>inventory-1</c>). Its state follows Aspire's names; its output is kept.
/// </summary>
public sealed class ResourceInstance
{
    private readonly object _gate = new();
    private TaskCompletionSource _healthy = NewSignal();

    internal ResourceInstance(Resource resource, int replica, string name)
    {
        Resource = resource;
        Replica = replica;
        Name = name;
    }

    public string Name { get; }
    public Resource Resource { get; }
    public int Replica { get; }
    public string State { get; private set; } = ResourceStates.NotStarted;
    /// <summary>Why it is in that state (exit code, start error, failing check).</summary>
    public string? StateReason { get; private set; }
    public int? ProcessId { get; internal set; }
    public int? ExitCode { get; internal set; }
    public int Restarts { get; internal set; }
    /// <summary>When its current run started (its process, or the server it points at, came up).</summary>
    public DateTimeOffset? StartedAt { get; internal set; }
    public string? Url { get; internal set; }
    public LogBuffer Logs { get; } = new();
    public DateTimeOffset StateChangedAt { get; private set; } = DateTimeOffset.UtcNow;

    public event Action<ResourceInstance>? StateChanged;

    /// <summary>Completes the first time the instance is healthy after (re)starting.</summary>
    public Task Healthy { get { lock (_gate) return _healthy.Task; } }

    internal void SetState(string state, string? reason = null)
    {
        lock (_gate)
        {
            if (State == state && StateReason == reason) return;
            State = state;
            StateReason = reason;
            StateChangedAt = DateTimeOffset.UtcNow;
            // Healthy means "running and passing its checks now": any other state re-arms the signal.
            if (state == ResourceStates.Running) _healthy.TrySetResult();
            else if (_healthy.Task.IsCompleted) _healthy = NewSignal();
        }
        StateChanged?.Invoke(this);
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    public override string ToString() => $"{Name} {State}{(StateReason is null ? "" : $" ({StateReason})")}";
}
