namespace Hotline.Client;

/// <summary>
/// The newest events of one kind that a connection received, in arrival order; waiters see kept and future items.
/// Bounded by default (<see cref="DefaultCapacity"/>): a long-lived connection logs every event it receives, so a log
/// that kept them all would grow without bound.
/// </summary>
public sealed class EventLog<T>
{
    /// <summary>How many items a log keeps unless its <see cref="Capacity"/> is set.</summary>
    public const int DefaultCapacity = 1024;

    // A ring: adding past the bound drops the oldest item in O(1).
    private readonly Queue<T> _items = new();
    private readonly List<(Func<T, bool> Match, TaskCompletionSource<T> Done)> _waiters = [];
    private readonly Lock _gate = new();
    private int? _capacity = DefaultCapacity;

    public IReadOnlyList<T> Items
    {
        get { lock (_gate) return _items.ToArray(); }
    }

    /// <summary>
    /// Keep only the newest this many items (null: all). Waiters still see every new item; an item already dropped is
    /// no longer found by a new waiter. Lowering it drops the oldest items at once.
    /// </summary>
    public int? Capacity
    {
        get { lock (_gate) return _capacity; }
        set
        {
            if (value < 0) throw new ArgumentOutOfRangeException(nameof(value), "a capacity is not negative");
            lock (_gate)
            {
                _capacity = value;
                Trim();
            }
        }
    }

    /// <summary>Raised after each item is added (on the receiving thread); handlers must not block.</summary>
    public event Action<T>? Added;

    public int Count
    {
        get { lock (_gate) return _items.Count; }
    }

    public void Add(T item)
    {
        // Allocates only for a waiter that matches: most events have none.
        List<TaskCompletionSource<T>>? done = null;
        lock (_gate)
        {
            _items.Enqueue(item);
            Trim();
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (!_waiters[i].Match(item)) continue;
                (done ??= []).Add(_waiters[i].Done);
                _waiters.RemoveAt(i);
            }
        }
        if (done is not null) foreach (var d in done) d.TrySetResult(item);
        Added?.Invoke(item);
    }

    private void Trim()
    {
        if (_capacity is not { } capacity) return;
        while (_items.Count > capacity) _items.Dequeue();
    }

    /// <summary>The first item (already received and kept, or still to come) that matches, or a <see cref="TimeoutException"/>.</summary>
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
