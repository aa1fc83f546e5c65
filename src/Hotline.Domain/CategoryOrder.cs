namespace Hotline.Domain;

/// <summary>
/// One waiting queue entry as <see cref="CategoryOrder"/> files it: its queue-order key as it was when the entry was
/// tracked (so a filed node is found again by binary search even if the entry has since changed), and what was last
/// pushed for it.
/// </summary>
internal sealed class PositionNode
{
    public QueueEntry Entry = null!;
    public string Id = "", Category = "";
    public int Priority;
    public long QueuedAtTicks, Sequence;
    /// <summary>Tracked and not untracked since (a filed node is re-used only after it left its list).</summary>
    public bool Live;
    /// <summary>Bumped at every re-use, so a note about an earlier use is recognised as stale.</summary>
    public int Use;
    /// <summary>In its category's ordered list.</summary>
    public bool Filed;
    /// <summary>The position last pushed for <see cref="Id"/> (a copy of the engine's record of it), null when none.</summary>
    public QueuePosition? Pushed;

    /// <summary><see cref="RoutingPolicy.CompareQueueOrder"/> over the keys kept in the nodes.</summary>
    public static int Compare(PositionNode a, PositionNode b) =>
        RoutingPolicy.CompareQueueKeys(a.Priority, a.QueuedAtTicks, a.Sequence, a.Id, b.Priority, b.QueuedAtTicks, b.Sequence, b.Id);

    public static readonly IComparer<PositionNode> Order = Comparer<PositionNode>.Create(Compare);
}

/// <summary>
/// The waiting entries of every category in queue order, kept for queue positions (a position is the rank in its
/// category's list, 1-based) without sorting the queue per flush.
/// </summary>
/// <remarks>
/// Commands only note what they tracked and untracked (O(1) each); <see cref="Apply"/>, called per flush, files those
/// changes. Per touched category it finds by binary search the first rank a change touches and rewrites the list from
/// there (a merge of the old tail without the departed nodes and the new ones in order): O(log n) plus the length of
/// that tail. Ranks before it did not move. A change at the tail of a category therefore costs O(log n); one at its head
/// costs the category's length, which is also how many positions moved.
/// </remarks>
internal sealed class CategoryOrder
{
    private readonly Dictionary<string, List<PositionNode>> _lists = new(StringComparer.Ordinal);
    private readonly List<(PositionNode Node, int Use)> _added = [];
    private readonly List<PositionNode> _removed = [];
    private readonly Stack<PositionNode> _spare = new();
    private readonly List<PositionNode> _merge = [], _fresh = [];
    private readonly Dictionary<string, int> _from = new(StringComparer.Ordinal);
    private const int MaxSpare = 1024;

    /// <summary>True from a reset (a new or rebuilt index) until the next <see cref="Apply"/>: every rank is new.</summary>
    public bool WasReset { get; private set; } = true;

    /// <summary>How many categories have a list (after <see cref="Apply"/>: those with an entry waiting).</summary>
    public int Count => _lists.Count;

    /// <summary>Every category's list (after <see cref="Apply"/>: the waiting entries in queue order).</summary>
    public IEnumerable<KeyValuePair<string, List<PositionNode>>> Lists => _lists;

    /// <summary>Notes a newly waiting entry; returns its node (to hand back to <see cref="Untracked"/>).</summary>
    public PositionNode Tracked(QueueEntry e)
    {
        var n = _spare.TryPop(out var spare) ? spare : new PositionNode();
        n.Entry = e;
        n.Id = e.ConsultationId;
        n.Category = e.Category;
        n.Priority = e.Priority;
        n.QueuedAtTicks = e.QueuedAt.UtcTicks;
        n.Sequence = e.Sequence;
        n.Live = true;
        n.Filed = false;
        n.Pushed = null;
        _added.Add((n, ++n.Use));
        return n;
    }

    /// <summary>Notes that the entry of <paramref name="n"/> stopped waiting (or changed and is tracked again under a new node).</summary>
    public void Untracked(PositionNode n)
    {
        n.Live = false;
        if (n.Filed) _removed.Add(n);
        else Recycle(n); // tracked and untracked between two flushes, never filed: its note in the added ones is now stale
    }

    /// <summary>Forgets everything (the index is rebuilt: every waiting entry is tracked again).</summary>
    public void Reset()
    {
        _lists.Clear();
        _added.Clear();
        _removed.Clear();
        WasReset = true;
    }

    /// <summary>
    /// Files the changes since the last call. <paramref name="touched"/> receives, per category whose ranks moved, its
    /// list and the first rank (0-based) that may have changed; <paramref name="departed"/> the ids of the entries that
    /// left a list (they may be waiting again under another node). Returns true after a reset (every rank is new).
    /// </summary>
    public bool Apply(List<(List<PositionNode> List, int From)> touched, List<string> departed)
    {
        touched.Clear();
        departed.Clear();
        var reset = WasReset;
        WasReset = false;
        _from.Clear();
        foreach (var n in _removed)
        {
            var list = _lists[n.Category];
            var at = list.BinarySearch(n, PositionNode.Order);
            if (at < 0 || !ReferenceEquals(list[at], n)) throw new InvalidOperationException($"Position index out of step for {n.Id}.");
            Lower(n.Category, at);
        }
        _fresh.Clear();
        foreach (var (n, use) in _added)
        {
            if (n.Use != use || !n.Live) continue;
            if (!_lists.TryGetValue(n.Category, out var list)) _lists[n.Category] = list = [];
            var at = list.BinarySearch(n, PositionNode.Order);
            Lower(n.Category, at < 0 ? ~at : at);
            _fresh.Add(n);
        }
        _added.Clear();
        _fresh.Sort(PositionNode.Order);
        foreach (var (category, from) in _from)
        {
            var list = _lists[category];
            _merge.Clear();
            int i = from, j = 0;
            while (true)
            {
                while (i < list.Count && !list[i].Live) i++;
                while (j < _fresh.Count && !string.Equals(_fresh[j].Category, category, StringComparison.Ordinal)) j++;
                if (i >= list.Count && j >= _fresh.Count) break;
                if (j >= _fresh.Count || i < list.Count && PositionNode.Compare(list[i], _fresh[j]) < 0) _merge.Add(list[i++]);
                else
                {
                    _fresh[j].Filed = true;
                    _merge.Add(_fresh[j++]);
                }
            }
            list.RemoveRange(from, list.Count - from);
            list.AddRange(_merge);
            touched.Add((list, from));
            // A category nobody waits in any more is dropped: a transfer may name any category, and every name ever used
            // would otherwise keep an empty list (the touched pair above still reads as empty).
            if (list.Count == 0) _lists.Remove(category);
        }
        foreach (var n in _removed)
        {
            departed.Add(n.Id);
            Recycle(n);
        }
        _removed.Clear();
        _fresh.Clear();
        _merge.Clear();
        return reset;
    }

    private void Lower(string category, int at)
    {
        ref var from = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_from, category, out var exists);
        if (!exists || at < from) from = at;
    }

    private void Recycle(PositionNode n)
    {
        n.Entry = null!;
        n.Pushed = null;
        n.Filed = false;
        if (_spare.Count < MaxSpare) _spare.Push(n);
    }
}
