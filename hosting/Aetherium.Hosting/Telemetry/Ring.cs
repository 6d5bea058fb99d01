namespace Aetherium.Hosting.Telemetry;

/// <summary>
/// A circular buffer of at most <c>capacity</c> items: adding to a full ring overwrites (and returns) the oldest.
/// Its array grows by doubling up to the capacity, so a ring that only ever holds a few items stays small.
/// </summary>
internal sealed class Ring<T>(int capacity)
{
    private T[] _items = new T[Math.Min(capacity, 16)];
    private int _start;

    public int Count { get; private set; }
    public int Capacity => capacity;

    /// <summary>Adds an item; returns true with the evicted one when the ring was full.</summary>
    public bool Add(T item, out T evicted)
    {
        if (Count == _items.Length && Count < capacity) Grow();
        if (Count < _items.Length)
        {
            _items[(_start + Count++) % _items.Length] = item;
            evicted = default!;
            return false;
        }
        evicted = _items[_start];
        _items[_start] = item;
        _start = (_start + 1) % _items.Length;
        return true;
    }

    /// <summary>Oldest first.</summary>
    public T this[int index] => _items[(_start + index) % _items.Length];

    public T Last => this[Count - 1];

    public IEnumerable<T> Items()
    {
        for (var i = 0; i < Count; i++) yield return this[i];
    }

    public void Clear()
    {
        Array.Clear(_items);
        _start = 0;
        Count = 0;
    }

    private void Grow()
    {
        var larger = new T[Math.Min(capacity, _items.Length * 2)];
        for (var i = 0; i < Count; i++) larger[i] = this[i];
        _items = larger;
        _start = 0;
    }
}
