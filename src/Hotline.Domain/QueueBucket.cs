namespace Hotline.Domain;

/// <summary>
/// One bucket of waiting queue entries in queue order (<see cref="RoutingPolicy.QueueOrder"/>): a sorted array with lazy
/// removal. Matching asks every bucket of a lawyer for its first entry far more often than the bucket changes; an arrival
/// (the latest entry in queue order, unless it has a priority or kept its age) is appended; a removal costs nothing here.
/// </summary>
/// <remarks>
/// Membership is the entry's filing stamp (<see cref="QueueEntry.FiledAs"/>): the index gives an entry a fresh stamp each
/// time it files it and clears it when it takes it out, so an item whose stamp is not its entry's any more is gone, and
/// is skipped, then dropped at the head or when the array is compacted (when it is full with at least half of it gone).
/// The caller must change the stamp after <see cref="Remove"/>, and set a fresh one before <see cref="Add"/>. Queue-order
/// keys of an entry never change while it is routed (<see cref="RoutingEngine"/> sets them before it first files it), so
/// the items, gone or not, stay sorted. It replaced a <see cref="SortedSet{T}"/>: a node allocated per filing that lived as
/// long as the entry waited, and O(log n) comparisons through a delegate per change.
/// </remarks>
internal sealed class QueueBucket
{
    private struct Item
    {
        public QueueEntry Entry;
        public long Stamp;
    }

    private Item[] _items = [];
    private int _head, _end, _live;

    /// <summary>How many entries are in the bucket.</summary>
    public int Count => _live;

    private static bool IsLive(in Item item) => item.Entry.FiledAs == item.Stamp;

    /// <summary>The first entry in queue order (null when empty); amortised O(1).</summary>
    public QueueEntry? Min
    {
        get
        {
            while (_head < _end)
            {
                if (IsLive(_items[_head])) return _items[_head].Entry;
                _items[_head++] = default;
            }
            return null;
        }
    }

    /// <summary>Files <paramref name="e"/> under its current stamp (fresh: it is not in the bucket).</summary>
    public void Add(QueueEntry e)
    {
        EnsureRoom();
        var item = new Item { Entry = e, Stamp = e.FiledAs };
        _live++;
        if (_end == _head || RoutingPolicy.CompareQueueOrder(_items[_end - 1].Entry, e) <= 0)
        {
            _items[_end++] = item; // the usual arrival: last in queue order
            return;
        }
        if (_head > 0 && RoutingPolicy.CompareQueueOrder(e, _items[_head].Entry) < 0)
        {
            _items[--_head] = item; // first in queue order, and the room before the head is free
            return;
        }
        int lo = _head, hi = _end;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (RoutingPolicy.CompareQueueOrder(_items[mid].Entry, e) <= 0) lo = mid + 1;
            else hi = mid;
        }
        Array.Copy(_items, lo, _items, lo + 1, _end - lo);
        _items[lo] = item;
        _end++;
    }

    /// <summary>Takes <paramref name="e"/> (filed here under its current stamp) out; the caller then changes its stamp.</summary>
    public void Remove(QueueEntry e)
    {
        _ = e;
        if (--_live > 0) return;
        Array.Clear(_items, _head, _end - _head);
        _head = _end = 0;
    }

    public void Clear()
    {
        Array.Clear(_items);
        _head = _end = _live = 0;
    }

    /// <summary>Room for one more item at the end: the live items are moved to the front when at least half the array is
    /// free or gone, else into an array twice as long.</summary>
    private void EnsureRoom()
    {
        if (_end < _items.Length) return;
        var target = (_live + 1) * 2 <= _items.Length ? _items : new Item[Math.Max(8, _items.Length * 2)];
        var w = 0;
        for (var r = _head; r < _end; r++)
            if (IsLive(_items[r])) target[w++] = _items[r];
        if (ReferenceEquals(target, _items)) Array.Clear(_items, w, _end - w);
        _items = target;
        _head = 0;
        _end = w;
    }

    public Enumerator GetEnumerator() => new(this);

    /// <summary>The entries in queue order (the bucket must not change meanwhile).</summary>
    public struct Enumerator(QueueBucket bucket)
    {
        private int _at = bucket._head - 1;

        public readonly QueueEntry Current => bucket._items[_at].Entry;

        public bool MoveNext()
        {
            while (++_at < bucket._end)
                if (IsLive(bucket._items[_at])) return true;
            return false;
        }
    }
}
