namespace Hotline.Domain;

/// <summary>
/// One bucket of waiting queue entries in queue order (<see cref="RoutingPolicy.QueueOrder"/>) that remembers its first
/// entry: matching asks every bucket of a lawyer for it, far more often than the bucket changes, and a
/// <see cref="SortedSet{T}"/> walks its tree for every <see cref="SortedSet{T}.Min"/>.
/// </summary>
internal sealed class QueueBucket
{
    private readonly SortedSet<QueueEntry> _set = new(RoutingPolicy.QueueOrder);
    private QueueEntry? _min;
    private bool _minKnown = true;

    public int Count => _set.Count;

    /// <summary>The first entry in queue order (null when empty); O(1) unless that entry just left.</summary>
    public QueueEntry? Min
    {
        get
        {
            if (!_minKnown)
            {
                _min = _set.Count > 0 ? _set.Min : null;
                _minKnown = true;
            }
            return _min;
        }
    }

    public void Add(QueueEntry e)
    {
        if (_set.Add(e) && _minKnown && (_min is null || RoutingPolicy.CompareQueueOrder(e, _min) < 0)) _min = e;
    }

    public void Remove(QueueEntry e)
    {
        if (_set.Remove(e) && ReferenceEquals(e, _min))
        {
            _min = null;
            _minKnown = false;
        }
    }

    public void Clear()
    {
        _set.Clear();
        _min = null;
        _minKnown = true;
    }

    public SortedSet<QueueEntry>.Enumerator GetEnumerator() => _set.GetEnumerator();
}
