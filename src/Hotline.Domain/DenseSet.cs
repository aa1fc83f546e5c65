namespace Hotline.Domain;

/// <summary>
/// A set of references kept dense in a list (removal swaps the last item in): enumeration and <see cref="Clear"/> cost
/// O(count), unlike a <see cref="HashSet{T}"/> whose enumeration and clearing walk every slot it ever grew to (the
/// routing indexes' lawyer sets once held every lawyer, then hold a handful). Order of enumeration is not meaningful.
/// </summary>
internal sealed class DenseSet<T> where T : class
{
    private readonly List<T> _items = [];
    private readonly Dictionary<T, int> _at = new(ReferenceEqualityComparer.Instance);

    public int Count => _items.Count;

    /// <summary>The members, by position (valid until the set changes).</summary>
    public T this[int i] => _items[i];

    public bool Contains(T item) => _at.ContainsKey(item);

    public bool Add(T item)
    {
        if (!_at.TryAdd(item, _items.Count)) return false;
        _items.Add(item);
        return true;
    }

    public bool Remove(T item)
    {
        if (!_at.Remove(item, out var i)) return false;
        var last = _items.Count - 1;
        if (i != last)
        {
            var moved = _items[last];
            _items[i] = moved;
            _at[moved] = i;
        }
        _items.RemoveAt(last);
        return true;
    }

    /// <summary>Empties the set in O(count) (removes one by one, so the dictionary's buckets are not wiped).</summary>
    public void Clear()
    {
        foreach (var item in _items) _at.Remove(item);
        _items.Clear();
    }

    public List<T>.Enumerator GetEnumerator() => _items.GetEnumerator();
}
