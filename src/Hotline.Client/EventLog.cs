namespace Hotline.Client;

/// <summary>Every event of one kind that a connection received, in arrival order; waiters see past and future items.</summary>
public sealed class EventLog<T>
{
    private readonly List<T> _items = [];
    private readonly List<(Func<T, bool> Match, TaskCompletionSource<T> Done)> _waiters = [];
    private readonly Lock _gate = new();

    public IReadOnlyList<T> Items
    {
        get { lock (_gate) return _items.ToList(); }
    }

    /// <summary>
    /// Keep only the newest this many items (null: all). A long-lived connection logs every event it receives, so a log
    /// nobody trims grows without bound; waiters still see every new item. Older items go in batches, so the oldest kept
    /// may briefly exceed the bound by a quarter.
    /// </summary>
    public int? Capacity { get; set; }

    /// <summary>Raised after each item is added (on the receiving thread); handlers must not block.</summary>
    public event Action<T>? Added;

    public int Count
    {
        get { lock (_gate) return _items.Count; }
    }

    public void Add(T item)
    {
        List<TaskCompletionSource<T>> done = [];
        lock (_gate)
        {
            _items.Add(item);
            if (Capacity is { } capacity && _items.Count > capacity + Math.Max(1, capacity / 4)) _items.RemoveRange(0, _items.Count - capacity);
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (!_waiters[i].Match(item)) continue;
                done.Add(_waiters[i].Done);
                _waiters.RemoveAt(i);
            }
        }
        foreach (var d in done) d.TrySetResult(item);
        Added?.Invoke(item);
    }

    /// <summary>The first item (already received or still to come) that matches, or a <see cref="TimeoutException"/>.</summary>
    public async Task<T> WaitAsync(Func<T, bool>? match = null, TimeSpan? timeout = null)
    {
        match ??= _ => true;
        TaskCompletionSource<T> tcs;
        lock (_gate)
        {
            foreach (var item in _items) if (match(item)) return item;
            tcs = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((match, tcs));
        }
        var limit = timeout ?? TimeSpan.FromSeconds(30);
        try
        {
            return await tcs.Task.WaitAsync(limit);
        }
        catch (TimeoutException)
        {
            lock (_gate) _waiters.RemoveAll(w => w.Done == tcs);
            throw new TimeoutException($"no {typeof(T).Name} matched within {limit.TotalSeconds} s");
        }
    }
}
