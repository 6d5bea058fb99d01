using System.Collections.Concurrent;

namespace Aetherium.Inventory.Agents;

/// <summary>The agent sessions this replica holds, one per worker: a reconnect replaces the older session.</summary>
public sealed class SessionRegistry
{
    private readonly ConcurrentDictionary<Guid, AgentSession> _byWorker = new();

    public int Count => _byWorker.Count;

    public ICollection<AgentSession> All => _byWorker.Values;

    public bool TryGet(Guid workerId, out AgentSession session) => _byWorker.TryGetValue(workerId, out session!);

    public void Add(AgentSession session)
    {
        AgentSession? older = null;
        _byWorker.AddOrUpdate(session.Agent.WorkerId, session, (_, existing) =>
        {
            older = existing;
            return session;
        });
        // The agent reconnected (the old socket is likely half-open): the new session wins.
        if (older is not null && !ReferenceEquals(older, session)) _ = older.ReplaceAsync();
    }

    public void Remove(AgentSession session) =>
        _byWorker.TryRemove(new KeyValuePair<Guid, AgentSession>(session.Agent.WorkerId, session));
}
