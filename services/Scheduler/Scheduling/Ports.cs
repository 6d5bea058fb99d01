namespace Aetherium.Scheduler.Scheduling;

/// <summary>
/// Allots each VM a TCP port on its worker, unique on that worker, from a configured range. A cursor
/// per worker walks the range, so a freed port is not handed out again at once.
/// </summary>
public static class Ports
{
    /// <summary>
    /// <paramref name="count"/> ports not in <paramref name="used"/>, searching from <paramref name="cursor"/>
    /// (an offset into the range); returns them and the cursor after the last one. Throws when the range is full,
    /// which placement prevents by capping a worker's VMs at the range size.
    /// </summary>
    public static (int[] Ports, int Cursor) Assign(IReadOnlySet<int> used, int cursor, int first, int last, int count)
    {
        var size = last - first + 1;
        var result = new int[count];
        var taken = new HashSet<int>(used);
        var offset = ((cursor % size) + size) % size;
        for (var k = 0; k < count; k++)
        {
            var tries = 0;
            while (taken.Contains(first + offset))
            {
                if (++tries > size) throw new InvalidOperationException($"No free port left in {first}-{last}.");
                offset = (offset + 1) % size;
            }
            result[k] = first + offset;
            taken.Add(result[k]);
            offset = (offset + 1) % size;
        }
        return (result, offset);
    }
}
