namespace Hotline.Client;

/// <summary>
/// One consultation's messages as this client saw them, reconciled by (seq, clientMessageId). With early delivery
/// (<c>Hotline:Messages:EarlyDelivery</c>) a <c>Message</c> push can arrive while its durable write still runs, so:
/// a later <c>Message</c> with the same seq and another clientMessageId replaces the shown one; <c>MessageWithdrawn</c>
/// removes it; and a join drops what was shown above the joined view's <c>lastSeq</c> (never stored: its withdrawal was
/// missed while the connection was away). With a bound (<see cref="TranscriptBound"/>), only the newest messages are
/// kept: older ones leave once stored, with every seq up to them seen, and never while a join is outstanding (its answer
/// may still correct them), so <see cref="Contiguous"/>, <see cref="RejoinSeq"/> and <see cref="Missing"/> count them
/// as before. A gap that never fills stops the trimming of what follows it.
/// </summary>
internal sealed class ChatTranscript
{
    // Ordered by seq, distinct seqs. Messages arrive almost always in seq order, so filing one is an append; a list
    // instead of a sorted tree also keeps no node per message.
    private readonly List<(ChatMessage Message, long Arrival)> _bySeq = [];
    private readonly Lock _gate = new();
    private readonly TranscriptBound _bound;
    private long _arrivals;
    // Every seq up to this one is known to be stored (acked, read on a join, or followed by a later message).
    private long _stored;
    // Every seq up to this one was seen, stored and dropped from the list (the bound); the list holds only later seqs.
    private long _dropped;
    // Joins sent (Mark) and not yet answered (Joined) or given up (JoinAbandoned): nothing is dropped meanwhile.
    private int _pendingJoins;

    /// <summary>A transcript with the connection's shared bound (null: its own, unbounded).</summary>
    public ChatTranscript(TranscriptBound? bound = null) => _bound = bound ?? new TranscriptBound();

    /// <summary>A transcript with a bound of its own (tests).</summary>
    public ChatTranscript(int? capacity) : this(new TranscriptBound { Capacity = capacity }) { }

    /// <summary>Keep only about this many newest messages (null: all). Applies from the next message filed.</summary>
    public int? Capacity
    {
        get => _bound.Capacity;
        set => _bound.Capacity = value;
    }

    /// <summary>Adds a message; true when it is new or replaced another at its seq. <paramref name="stored"/>: read from storage.</summary>
    public bool Add(ChatMessage message, bool stored)
    {
        lock (_gate)
        {
            // The grain numbers a message only after the one before it was stored: a push for seq n confirms n - 1.
            _stored = Math.Max(_stored, stored ? message.Seq : message.Seq - 1);
            // Dropped seqs were seen and stored: this is a replay (a join's missed messages overlap what was pushed).
            if (message.Seq <= _dropped) return false;
            if (_bySeq.Count == 0 || _bySeq[^1].Message.Seq < message.Seq)
            {
                _bySeq.Add((message, ++_arrivals));
                Trim();
                return true;
            }
            var at = IndexOf(message.Seq);
            if (at >= 0)
            {
                if (Same(_bySeq[at].Message, message.SenderId, message.ClientMessageId)) return false;
                _bySeq[at] = (message, ++_arrivals);
            }
            else _bySeq.Insert(~at, (message, ++_arrivals));
            return true;
        }
    }

    /// <summary>
    /// Past the capacity by half, drops the oldest messages down to it, in one move (amortised O(1) per message), but only
    /// those stored and without a gap before them, and none while a join is outstanding: a message that may still be
    /// withdrawn, replaced or re-read stays.
    /// </summary>
    private void Trim()
    {
        if (_bound.Capacity is not { } keep || _pendingJoins > 0 || _bySeq.Count <= keep + (long)keep / 2 + 1) return;
        var limit = Math.Min(ContiguousLocked(), _stored);
        var drop = 0;
        while (drop < _bySeq.Count - keep && _bySeq[drop].Message.Seq <= limit) drop++;
        if (drop == 0) return;
        _dropped = _bySeq[drop - 1].Message.Seq;
        _bySeq.RemoveRange(0, drop);
    }

    /// <summary>Index of <paramref name="seq"/>, or the bitwise complement of where it would be inserted.</summary>
    private int IndexOf(long seq)
    {
        int lo = 0, hi = _bySeq.Count - 1;
        while (lo <= hi)
        {
            var mid = lo + (hi - lo) / 2;
            var at = _bySeq[mid].Message.Seq;
            if (at == seq) return mid;
            if (at < seq) lo = mid + 1;
            else hi = mid - 1;
        }
        return ~lo;
    }

    /// <summary>Removes the message at <paramref name="seq"/> if it is the one withdrawn; true if it was removed.</summary>
    public bool Withdraw(long seq, string clientMessageId)
    {
        lock (_gate)
        {
            var at = IndexOf(seq);
            if (at < 0 || _bySeq[at].Message.ClientMessageId != clientMessageId) return false;
            _bySeq.RemoveAt(at);
            return true;
        }
    }

    /// <summary>An acknowledged own message: it and every seq before it are stored.</summary>
    public void Acked(long seq)
    {
        lock (_gate) _stored = Math.Max(_stored, seq);
    }

    /// <summary>
    /// Taken just before a join is sent: messages that arrive after it are not dropped by that join. Until the join is
    /// answered (<see cref="Joined"/>) or given up (<see cref="JoinAbandoned"/>), no message leaves the transcript.
    /// </summary>
    public long Mark()
    {
        lock (_gate)
        {
            _pendingJoins++;
            return _arrivals;
        }
    }

    /// <summary>A join marked with <see cref="Mark"/> was not answered: trimming may go on.</summary>
    public void JoinAbandoned()
    {
        lock (_gate) SettleJoinLocked();
    }

    /// <summary>One marked join is over (answered or given up).</summary>
    private void SettleJoinLocked() => _pendingJoins = Math.Max(0, _pendingJoins - 1);

    /// <summary>
    /// A join answered with <paramref name="lastSeq"/>: every message shown above it that arrived before
    /// <paramref name="mark"/> was never stored and is dropped (a push after the mark may be a newer message).
    /// </summary>
    public void Joined(long lastSeq, long mark)
    {
        lock (_gate)
        {
            SettleJoinLocked();
            _stored = Math.Max(_stored, lastSeq);
            _bySeq.RemoveAll(e => e.Message.Seq > lastSeq && e.Arrival <= mark);
            // Seqs dropped above what the store holds were never stored after all (a missed withdrawal, or a store that
            // lost its tail): they count as unseen again, so a re-join reads what the store has there and a replay is
            // filed, and nothing above the store's last seq counts as stored (so nothing there leaves early).
            if (lastSeq < _dropped)
            {
                _dropped = lastSeq;
                _stored = lastSeq;
            }
        }
    }

    /// <summary>Highest seq up to which every message has been seen.</summary>
    public long Contiguous
    {
        get
        {
            lock (_gate) return ContiguousLocked();
        }
    }

    /// <summary>Seqs below the highest seen that were never seen (a gap-free transcript has none), dropped ones included.</summary>
    public long Missing
    {
        get
        {
            lock (_gate) return _bySeq.Count == 0 ? 0 : _bySeq[^1].Message.Seq - _dropped - _bySeq.Count;
        }
    }

    // Seqs are distinct and sorted, so seq - index never decreases along the list: the gap-free prefix
    // (seq == dropped + index + 1) is found by binary search.
    private long ContiguousLocked()
    {
        if (_bySeq.Count == 0 || _bySeq[0].Message.Seq != _dropped + 1) return _dropped;
        int lo = 0, hi = _bySeq.Count - 1;
        while (lo < hi)
        {
            var mid = lo + (hi - lo + 1) / 2;
            if (_bySeq[mid].Message.Seq == _dropped + mid + 1) lo = mid;
            else hi = mid - 1;
        }
        return _bySeq[lo].Message.Seq;
    }

    /// <summary>The afterSeq to re-join with: contiguous, and not past what is known stored (so a replacement is read).</summary>
    public long RejoinSeq
    {
        get
        {
            lock (_gate) return Math.Min(ContiguousLocked(), _stored);
        }
    }

    /// <summary>The messages kept, ordered by seq (with a <see cref="Capacity"/>, the newest).</summary>
    public IReadOnlyList<ChatMessage> Messages
    {
        get
        {
            lock (_gate) return _bySeq.ConvertAll(e => e.Message);
        }
    }

    private static bool Same(ChatMessage shown, string senderId, string clientMessageId) => shown.SenderId == senderId && shown.ClientMessageId == clientMessageId;
}

/// <summary>
/// The bound of a connection's transcripts, shared by all of them so that a change reaches every one at once: about how
/// many newest messages each keeps (null: all).
/// </summary>
internal sealed class TranscriptBound
{
    // -1: unbounded. One volatile int, so readers on other threads see a whole value.
    private volatile int _capacity = -1;

    public int? Capacity
    {
        get
        {
            var capacity = _capacity; // one read: a concurrent set must not yield -1
            return capacity < 0 ? null : capacity;
        }
        set
        {
            if (value < 0) throw new ArgumentOutOfRangeException(nameof(value), "a capacity is not negative");
            _capacity = value ?? -1;
        }
    }
}
