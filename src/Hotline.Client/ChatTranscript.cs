namespace Hotline.Client;

/// <summary>
/// One consultation's messages as this client saw them, reconciled by (seq, clientMessageId). With early delivery
/// (<c>Hotline:Messages:EarlyDelivery</c>) a <c>Message</c> push can arrive while its durable write still runs, so:
/// a later <c>Message</c> with the same seq and another clientMessageId replaces the shown one; <c>MessageWithdrawn</c>
/// removes it; and a join drops what was shown above the joined view's <c>lastSeq</c> (never stored: its withdrawal was
/// missed while the connection was away).
/// </summary>
internal sealed class ChatTranscript
{
    private readonly SortedDictionary<long, (ChatMessage Message, long Arrival)> _bySeq = [];
    private readonly Lock _gate = new();
    private long _arrivals;
    // Every seq up to this one is known to be stored (acked, read on a join, or followed by a later message).
    private long _stored;

    /// <summary>Adds a message; true when it is new or replaced another at its seq. <paramref name="stored"/>: read from storage.</summary>
    public bool Add(ChatMessage message, bool stored)
    {
        lock (_gate)
        {
            // The grain numbers a message only after the one before it was stored: a push for seq n confirms n - 1.
            _stored = Math.Max(_stored, stored ? message.Seq : message.Seq - 1);
            if (_bySeq.TryGetValue(message.Seq, out var shown) && Same(shown.Message, message.SenderId, message.ClientMessageId)) return false;
            _bySeq[message.Seq] = (message, ++_arrivals);
            return true;
        }
    }

    /// <summary>Removes the message at <paramref name="seq"/> if it is the one withdrawn; true if it was removed.</summary>
    public bool Withdraw(long seq, string clientMessageId)
    {
        lock (_gate)
            return _bySeq.TryGetValue(seq, out var shown) && shown.Message.ClientMessageId == clientMessageId && _bySeq.Remove(seq);
    }

    /// <summary>An acknowledged own message: it and every seq before it are stored.</summary>
    public void Acked(long seq)
    {
        lock (_gate) _stored = Math.Max(_stored, seq);
    }

    /// <summary>Taken just before a join is sent: messages that arrive after it are not dropped by that join.</summary>
    public long Mark()
    {
        lock (_gate) return _arrivals;
    }

    /// <summary>
    /// A join answered with <paramref name="lastSeq"/>: every message shown above it that arrived before
    /// <paramref name="mark"/> was never stored and is dropped (a push after the mark may be a newer message).
    /// </summary>
    public void Joined(long lastSeq, long mark)
    {
        lock (_gate)
        {
            _stored = Math.Max(_stored, lastSeq);
            foreach (var (seq, entry) in _bySeq.Where(e => e.Key > lastSeq && e.Value.Arrival <= mark).ToList())
                _bySeq.Remove(seq);
        }
    }

    /// <summary>Highest seq up to which every message has been seen.</summary>
    public long Contiguous
    {
        get
        {
            lock (_gate)
            {
                long last = 0;
                foreach (var seq in _bySeq.Keys)
                {
                    if (seq != last + 1) break;
                    last = seq;
                }
                return last;
            }
        }
    }

    /// <summary>The afterSeq to re-join with: contiguous, and not past what is known stored (so a replacement is read).</summary>
    public long RejoinSeq
    {
        get
        {
            var contiguous = Contiguous;
            lock (_gate) return Math.Min(contiguous, _stored);
        }
    }

    /// <summary>The messages, ordered by seq.</summary>
    public IReadOnlyList<ChatMessage> Messages
    {
        get
        {
            lock (_gate) return _bySeq.Values.Select(e => e.Message).ToList();
        }
    }

    private static bool Same(ChatMessage shown, string senderId, string clientMessageId) => shown.SenderId == senderId && shown.ClientMessageId == clientMessageId;
}
