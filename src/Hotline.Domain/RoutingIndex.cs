namespace Hotline.Domain;

/// <summary>
/// The routing engine's in-memory indexes over a <see cref="RouterState"/>: rebuilt from the state, never persisted, kept
/// in step by the engine on every change. They let a routing command touch only what it concerns: O(log n) per change of a
/// queue entry, whatever the queue's length.
/// </summary>
/// <remarks>
/// <para><b>Waiting entries</b> (queued, not offered) sit in buckets by the
/// widening <i>level</i> in force for them (how many steps, <see cref="WideningStep.AfterSeconds"/> ascending, are in
/// force): per level, by category, by (category, dialect), by dialect or all, depending on what the level's rules
/// require. A lawyer's candidates at a level are then the union of a few buckets (their skills times their dialects),
/// each in queue order, so the first one a lawyer may take is found without scanning the queue. Entries naming a lawyer
/// sit in that lawyer's bucket instead (skills and dialects do not count for them).</para>
/// <para><b>Time</b>: widening is handled by queues (one per step, kept in time order) of the moments an entry's next step comes into force; when
/// one is due, that entry alone moves to its new level's buckets. Offer deadlines are in such a queue too; preference deadlines and exclusion
/// ends have time-ordered sets, so timers and <see cref="RoutingEngine.NextDeadline"/> touch only what is due.</para>
/// <para><b>Lawyers</b>: the outstanding offers per lawyer (their load without scanning the queue), the owner of every
/// active consultation, and the set of lawyers online with room for a chat (the only ones matching has to consider).</para>
/// </remarks>
internal sealed class RoutingIndex
{
    private static readonly IComparer<(DateTimeOffset At, string Id)> ByTime = Comparer<(DateTimeOffset At, string Id)>.Create((a, b) =>
    {
        var c = a.At.CompareTo(b.At);
        return c != 0 ? c : string.CompareOrdinal(a.Id, b.Id);
    });

    private static readonly IComparer<(DateTimeOffset At, string Id, string Lawyer)> ByTimeAndLawyer =
        Comparer<(DateTimeOffset At, string Id, string Lawyer)>.Create((a, b) =>
        {
            var c = a.At.CompareTo(b.At);
            if (c != 0) return c;
            c = string.CompareOrdinal(a.Id, b.Id);
            return c != 0 ? c : string.CompareOrdinal(a.Lawyer, b.Lawyer);
        });

    /// <summary>Where one queue entry is indexed (also cached on the entry, <see cref="QueueEntry.IndexSlot"/>).</summary>
    internal sealed class Slot
    {
        public QueueEntry Entry = null!;
        // The generation of the index that filed it: a cached slot of an earlier generation (or another index) is not used.
        public long Generation;
        public bool Waiting;
        // Which item of the widening and offer deadline queues is this slot's current one (0: none; items with another stamp are stale).
        public long WidenStamp, OfferStamp;
        public int Level = -1;
        public string? Preferred;
        public string Category = "", Dialect = "";
        public DateTimeOffset? WidenAt, PreferenceAt, OfferAt;
        // The level buckets the entry is filed in (not for a named lawyer), so untracking needs no look-up.
        public QueueBucket[]? Buckets;
        public SortedSet<(DateTimeOffset At, string Id, string Lawyer)>? Exclusions;
        // Where the entry is filed for positions while it waits.
        public PositionNode? Node;
    }

    private readonly RouterState _state;
    private readonly RoutingOptions _options;
    private readonly double[] _stepAfter;
    private readonly WideningRules[] _levels;
    private readonly Dictionary<string, Slot> _slots = new(StringComparer.Ordinal);
    private readonly Dictionary<string, QueueBucket>[] _byCategory, _byDialect;
    private readonly Dictionary<(string, string), QueueBucket>[] _byCategoryDialect;
    private readonly QueueBucket[] _all;
    private readonly Dictionary<string, QueueBucket> _byPreferred = new(StringComparer.Ordinal);
    private readonly SortedSet<(DateTimeOffset At, string Id)> _preferenceDue = new(ByTime);
    // Widening steps and offer deadlines come and go with every arrival and offer: queues whose items are dropped lazily (when
    // they come to the front) cost less than a tree per change, and allocate nothing once grown.
    private readonly DueQueue _widenDue, _offerDue = new(widening: false, lanes: 1);
    // Stamps of this index's deadline items and bucket filings; each index counts in a range of its own, so entries filed by
    // an earlier engine over the same objects can never look filed here.
    private long _stamps = Interlocked.Increment(ref s_indexes) << 40;
    private static long s_indexes;
    private readonly SortedSet<(DateTimeOffset At, string Id, string Lawyer)> _exclusionsWaiting = new(ByTimeAndLawyer), _exclusionsOffered = new(ByTimeAndLawyer);
    private readonly Dictionary<string, Offers> _offersTo = new(StringComparer.Ordinal);

    /// <summary>The outstanding offers to one lawyer, and how many are phone calls (an offered entry's channel does not change).</summary>
    internal sealed class Offers : HashSet<QueueEntry>
    {
        public Offers() : base(ReferenceEqualityComparer.Instance) { }

        public int Phones;
    }
    private readonly Dictionary<string, LawyerSlot> _activeOwner = new(StringComparer.Ordinal);
    private readonly HashSet<string> _preferenceCheck = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DenseSet<LawyerSlot>> _freeBySkill = new(StringComparer.Ordinal);
    private readonly Dictionary<(string, string), DenseSet<LawyerSlot>> _freeBySkillDialect = [];
    // Per lawyer, what the index keeps (see LawyerRecord); cached on the lawyer, so most commands reach it without a look-up.
    private readonly Dictionary<LawyerSlot, LawyerRecord> _records = new(ReferenceEqualityComparer.Instance);
    // Changes with every rebuild, unique across indexes (a stamp): slots and records cached on the state's objects by another
    // index or an earlier rebuild are not this one's.
    private long _generation;

    /// <summary>What the index keeps per lawyer: its outstanding offers, the buckets its head is looked up in and the sets of
    /// lawyers with room it goes in (worked out once per profile), and the profile it is filed under while it has room.</summary>
    /// <remarks>The dictionaries keyed by lawyer it replaced were a cold look-up each, several per command (the profile
    /// showed the engine bound by such misses at 10,000 waiting).</remarks>
    internal sealed class LawyerRecord
    {
        public long Generation;
        public Offers Offers = null!;
        public Profile? Profile;
        public Profile? FiledAs;
        // The matching pass's marks (PassSet): one per set of lawyers a pass keeps, in the record so testing one is no extra read.
        public long Mark0, Mark1;
    }
    // Per level, the buckets an entry of a (category, dialect) is filed in, worked out once per pair.
    private readonly Dictionary<(string, string), QueueBucket[]>[] _bucketsOf;
    private readonly List<QueueEntry> _check = [];
    private readonly Stack<Slot> _spareSlots = new();
    private const int MaxSpareSlots = 1024;

    public RoutingIndex(RouterState state, RoutingOptions options, DateTimeOffset now)
    {
        _state = state;
        _options = options;
        // Level k = the first k steps by AfterSeconds in force; RoutingPolicy.RulesAt gives the same rules for the same steps.
        var steps = options.Widening.OrderBy(s => s.AfterSeconds).ToArray();
        _stepAfter = steps.Select(s => s.AfterSeconds).ToArray();
        _widenDue = new DueQueue(widening: true, lanes: Math.Max(1, _stepAfter.Length));
        _levels = new WideningRules[steps.Length + 1];
        _levels[0] = WideningRules.Exact;
        for (var k = 1; k <= steps.Length; k++)
        {
            var prev = _levels[k - 1];
            var s = steps[k - 1];
            _levels[k] = new WideningRules(prev.RequireCategory && s.RequireCategory, prev.AnyDialect || s.AnyDialect,
                [.. prev.AlsoDialects, .. s.AlsoDialects], k);
        }
        _byCategory = NewBuckets();
        _byCategoryDialect = new Dictionary<(string, string), QueueBucket>[_levels.Length];
        for (var k = 0; k < _levels.Length; k++) _byCategoryDialect[k] = [];
        _byDialect = NewBuckets();
        _bucketsOf = new Dictionary<(string, string), QueueBucket[]>[_levels.Length];
        for (var k = 0; k < _levels.Length; k++) _bucketsOf[k] = [];
        _all = new QueueBucket[_levels.Length];
        for (var k = 0; k < _all.Length; k++) _all[k] = new QueueBucket();
        Rebuild(now);
    }

    private Dictionary<string, QueueBucket>[] NewBuckets()
    {
        var a = new Dictionary<string, QueueBucket>[_levels.Length];
        for (var k = 0; k < a.Length; k++) a[k] = new(StringComparer.Ordinal);
        return a;
    }

    /// <summary>The latest time the widening levels were brought up to (levels are right for any time from here until the next due step).</summary>
    public DateTimeOffset IndexedAt { get; private set; }

    /// <summary>How many entries wait (not offered).</summary>
    public int WaitingCount { get; private set; }

    /// <summary>The waiting entries per category in queue order, for positions (filed per flush, see <see cref="CategoryOrder"/>).</summary>
    public CategoryOrder Positions { get; } = new();

    /// <summary>Whether the consultation waits (is queued and not offered).</summary>
    public bool IsWaiting(string consultationId) => _slots.TryGetValue(consultationId, out var s) && s.Waiting;

    /// <summary>The entry's slot (if it is indexed): the one cached on it when it is this generation's, else by its id.</summary>
    private Slot? FindSlot(QueueEntry e)
    {
        if (e.IndexSlot is { } cached && cached.Generation == _generation && ReferenceEquals(cached.Entry, e)) return cached;
        return _slots.GetValueOrDefault(e.ConsultationId);
    }

    /// <summary>The lawyer's record in this index (made on first need).</summary>
    public LawyerRecord RecordOf(LawyerSlot l)
    {
        if (l.IndexRecord is { } cached && cached.Generation == _generation) return cached;
        if (!_records.TryGetValue(l, out var r))
        {
            if (!_offersTo.TryGetValue(l.LawyerId, out var offers)) _offersTo[l.LawyerId] = offers = new Offers();
            _records[l] = r = new LawyerRecord { Generation = _generation, Offers = offers };
        }
        l.IndexRecord = r;
        return r;
    }

    /// <summary>The waiting (not offered) entries in queue order. O(n log n): for the full computation of positions
    /// (<see cref="RoutingEngine.ComputePositions"/>); flushes use <see cref="Positions"/>, kept in order.</summary>
    public List<QueueEntry> WaitingInQueueOrder()
    {
        var list = new List<QueueEntry>(WaitingCount);
        foreach (var s in _slots.Values)
            if (s.Waiting) list.Add(s.Entry);
        list.Sort(RoutingPolicy.QueueOrder);
        return list;
    }

    /// <summary>How many waiting entries of <paramref name="e"/>'s category are before it in queue order, it included (it waits). O(n).</summary>
    public int PositionInCategory(QueueEntry e)
    {
        var pos = 0;
        foreach (var s in _slots.Values)
            if (s.Waiting && string.Equals(s.Entry.Category, e.Category, StringComparison.Ordinal) && RoutingPolicy.CompareQueueOrder(s.Entry, e) <= 0) pos++;
        return pos;
    }

    /// <summary>Lawyers online with room for a chat (the only ones matching can give anything to).</summary>
    public DenseSet<LawyerSlot> Free { get; } = new();

    /// <summary>
    /// Lawyers with room whose own situation changed since the last matching (status, profile, load): their head must be
    /// looked up in full. Every other lawyer with room had no eligible entry after the last matching (or was reserved).
    /// </summary>
    public DenseSet<LawyerSlot> DirtyLawyers { get; } = new();

    /// <summary>
    /// Entries that (re)became waiting or eligible for more lawyers since the last matching: new, withdrawn offers, widened,
    /// preference lapsed, an exclusion ended, or exclusions that may no longer apply. Only they can be new heads of the other lawyers.
    /// </summary>
    public DenseSet<QueueEntry> DirtyEntries { get; } = new();

    /// <summary>Lawyers who lost their room (or went offline) since the last matching.</summary>
    public DenseSet<LawyerSlot> LeftFree { get; } = new();

    /// <summary>Entries that stopped waiting (offered, assigned, removed, or changed and tracked again) since the last matching:
    /// a lawyer held for one of them is held no longer.</summary>
    public DenseSet<QueueEntry> LeftWaiting { get; } = new();

    /// <summary>Re-indexes everything from the state, widening levels as of <paramref name="now"/>.</summary>
    public void Rebuild(DateTimeOffset now)
    {
        _generation = ++_stamps;
        _records.Clear();
        _slots.Clear();
        WaitingCount = 0;
        Positions.Reset();
        for (var k = 0; k < _levels.Length; k++)
        {
            _byCategory[k].Clear();
            _byCategoryDialect[k].Clear();
            _byDialect[k].Clear();
            _all[k].Clear();
            _bucketsOf[k].Clear();
        }
        _byPreferred.Clear();
        _widenDue.Clear();
        _preferenceDue.Clear();
        _offerDue.Clear();
        _exclusionsWaiting.Clear();
        _exclusionsOffered.Clear();
        _offersTo.Clear();
        _preferenceCheck.Clear();
        _activeOwner.Clear();
        Free.Clear();
        _freeBySkill.Clear();
        _freeBySkillDialect.Clear();
        _unfiled.Clear();
        DirtyLawyers.Clear();
        DirtyEntries.Clear();
        LeftFree.Clear();
        LeftWaiting.Clear();
        IndexedAt = now;
        foreach (var e in _state.Queue.Values)
        {
            if (e.OfferedTo is { } to) SetOffer(e, to);
            else Track(e, now);
        }
        foreach (var l in _state.Lawyers.Values)
        {
            foreach (var id in l.Active.Keys) _activeOwner[id] = l;
            Refresh(l);
        }
    }

    // ---- queue entries ----

    private Slot SlotOf(QueueEntry e)
    {
        if (FindSlot(e) is not { } s) _slots[e.ConsultationId] = s = _spareSlots.TryPop(out var spare) ? spare : new Slot();
        s.Entry = e;
        s.Generation = _generation;
        e.IndexSlot = s;
        return s;
    }

    /// <summary>Indexes a queue entry as waiting (it must not be offered), at its widening level as of <paramref name="now"/>.</summary>
    public void Track(QueueEntry e, DateTimeOffset now)
    {
        var s = SlotOf(e);
        if (s.Waiting) Untrack(e);
        s.Waiting = true;
        s.Category = e.Category;
        s.Dialect = e.Dialect;
        s.Node = Positions.Tracked(e);
        WaitingCount++;
        DirtyEntries.Add(e);
        var from = RoutingPolicy.WideningFrom(e);
        var level = LevelAt(from, now);
        e.FiledAs = ++_stamps; // the buckets' mark of this filing (see QueueBucket)
        if (e.PreferredLawyerId is { } preferred)
        {
            s.Preferred = preferred;
            Bucket(_byPreferred, preferred).Add(e);
            _preferenceCheck.Add(e.ConsultationId);
            if (e.PreferenceExpiresAt is { } until)
            {
                s.PreferenceAt = until;
                _preferenceDue.Add((until, e.ConsultationId));
            }
        }
        else
        {
            s.Level = level;
            s.Buckets = BucketsOf(level, e.Category, e.Dialect);
            foreach (var set in s.Buckets) set.Add(e);
        }
        ScheduleWidening(e, s, from, level, now);
        RegisterExclusions(e, s, _exclusionsWaiting);
    }

    /// <summary>Takes a waiting entry out of the waiting indexes (to be offered, changed, assigned or dropped).</summary>
    public void Untrack(QueueEntry e)
    {
        if (FindSlot(e) is not { } s || !s.Waiting) return;
        s.Waiting = false;
        if (s.Node is { } node) Positions.Untracked(node);
        s.Node = null;
        WaitingCount--;
        DirtyEntries.Remove(e);
        LeftWaiting.Add(e);
        if (s.Preferred is { } preferred)
        {
            if (_byPreferred.TryGetValue(preferred, out var set)) set.Remove(e);
            s.Preferred = null;
        }
        else if (s.Buckets is { } buckets)
        {
            foreach (var set in buckets) set.Remove(e);
        }
        e.FiledAs = 0; // its items in the buckets are gone
        s.Level = -1;
        s.Buckets = null;
        if (s.PreferenceAt is { } p) _preferenceDue.Remove((p, e.ConsultationId));
        s.WidenStamp = 0;
        s.PreferenceAt = s.WidenAt = null;
        UnregisterExclusions(e, s);
    }

    /// <summary>Forgets an entry leaving the queue (assigned or removed); it must be untracked and not offered.</summary>
    public void Forget(QueueEntry e)
    {
        Untrack(e);
        if (FindSlot(e) is { } s && s.OfferAt is null)
        {
            _slots.Remove(e.ConsultationId);
            if (ReferenceEquals(e.IndexSlot, s)) e.IndexSlot = null;
            // Untracked and not offered: every field is at its initial value again but the profile, so the slot is reused
            // (long-lived objects made per arrival are what the garbage collector spends its time on).
            s.Preferred = null;
            s.Category = s.Dialect = "";
            s.Entry = null!;
            if (_spareSlots.Count < MaxSpareSlots) _spareSlots.Push(s);
        }
    }

    /// <summary>Records an offer of a waiting (or just admitted) entry to <paramref name="lawyerId"/>; the entry's fields are the caller's.</summary>
    public void SetOffer(QueueEntry e, string lawyerId)
    {
        if (_state.Lawyers.TryGetValue(lawyerId, out var l)) SetOffer(e, l);
        else
        {
            if (!_offersTo.TryGetValue(lawyerId, out var offers)) _offersTo[lawyerId] = offers = new Offers();
            FileOffer(e, offers);
        }
    }

    /// <summary>Records an offer of a waiting (or just admitted) entry to a known lawyer, and re-files the lawyer.</summary>
    public void SetOffer(QueueEntry e, LawyerSlot l)
    {
        FileOffer(e, RecordOf(l).Offers);
        Refresh(l);
    }

    private void FileOffer(QueueEntry e, Offers offers)
    {
        Untrack(e);
        var s = SlotOf(e);
        if (offers.Add(e) && e.Channel == Channel.Phone) offers.Phones++;
        if (e.OfferExpiresAt is { } at)
        {
            s.OfferAt = at;
            s.OfferStamp = ++_stamps;
            _offerDue.Add(s, s.OfferStamp, at);
        }
        else s.OfferAt = DateTimeOffset.MaxValue; // marks "offered" (a legacy offer without deadline)
        RegisterExclusions(e, s, _exclusionsOffered);
    }

    /// <summary>Forgets the entry's offer (<see cref="QueueEntry.OfferedTo"/> must still name the lawyer); the entry is then neither waiting nor offered until tracked or forgotten.</summary>
    /// <param name="e">The offered entry.</param>
    /// <param name="refile">False when the caller re-files the lawyer itself right after (an accept: the offer becomes an
    /// active consultation, so the lawyer's room does not change and re-filing twice would only churn the sets).</param>
    public void ClearOffer(QueueEntry e, bool refile = true)
    {
        if (FindSlot(e) is not { } s || s.OfferAt is not { } at) return;
        s.OfferStamp = 0;
        s.OfferAt = null;
        UnregisterExclusions(e, s);
        if (e.OfferedTo is { } to && _offersTo.TryGetValue(to, out var offers))
        {
            if (offers.Remove(e) && e.Channel == Channel.Phone) offers.Phones--;
            if (refile && _state.Lawyers.TryGetValue(to, out var l)) Refresh(l);
        }
    }

    /// <summary>Entries whose offer deadline is at or before <paramref name="now"/>.</summary>
    public List<QueueEntry> OffersDue(DateTimeOffset now)
    {
        var list = new List<QueueEntry>();
        // Taken off the queue to be listed, then put back: they stay due until their offers are cleared.
        while (_offerDue.TryPeek(out var s) && s.OfferAt <= now)
        {
            _offerDue.Pop();
            list.Add(s.Entry);
        }
        foreach (var e in list)
        {
            var s = FindSlot(e)!;
            _offerDue.Add(s, s.OfferStamp, s.OfferAt!.Value);
        }
        return list;
    }

    /// <summary>The outstanding offers to a lawyer, in queue order.</summary>
    public List<QueueEntry> OffersTo(string lawyerId)
    {
        var list = _offersTo.TryGetValue(lawyerId, out var offers) ? offers.ToList() : [];
        list.Sort(RoutingPolicy.QueueOrder);
        return list;
    }

    /// <summary>How many offers a lawyer holds.</summary>
    public int OfferCount(string lawyerId) => _offersTo.TryGetValue(lawyerId, out var offers) ? offers.Count : 0;

    /// <summary>Sets (or moves) an exclusion, keeping its end indexed.</summary>
    public void SetExclusion(QueueEntry e, string lawyerId, DateTimeOffset since)
    {
        var registered = FindSlot(e)?.Exclusions;
        if (registered is not null && e.Exclusions.TryGetValue(lawyerId, out var old))
            registered.Remove((RoutingPolicy.ExclusionEndsAt(old, _options), e.ConsultationId, lawyerId));
        e.Exclusions[lawyerId] = since; // in place: the dictionary keeps its order, as the state always had it
        registered?.Add((RoutingPolicy.ExclusionEndsAt(since, _options), e.ConsultationId, lawyerId));
    }

    /// <summary>Removes an exclusion, if any.</summary>
    public void RemoveExclusion(QueueEntry e, string lawyerId)
    {
        if (!e.Exclusions.Remove(lawyerId, out var since)) return;
        if (FindSlot(e) is { Exclusions: { } set })
            set.Remove((RoutingPolicy.ExclusionEndsAt(since, _options), e.ConsultationId, lawyerId));
    }

    private void RegisterExclusions(QueueEntry e, Slot s, SortedSet<(DateTimeOffset, string, string)> set)
    {
        UnregisterExclusions(e, s);
        s.Exclusions = set;
        if (!e.HasExclusions) return;
        foreach (var (lawyerId, since) in e.Exclusions) set.Add((RoutingPolicy.ExclusionEndsAt(since, _options), e.ConsultationId, lawyerId));
    }

    private void UnregisterExclusions(QueueEntry e, Slot s)
    {
        if (s.Exclusions is not { } set) return;
        s.Exclusions = null;
        if (!e.HasExclusions) return;
        foreach (var (lawyerId, since) in e.Exclusions) set.Remove((RoutingPolicy.ExclusionEndsAt(since, _options), e.ConsultationId, lawyerId));
    }

    // ---- time ----

    /// <summary>
    /// Brings everything time-driven up to <paramref name="now"/>: drops exclusions past their limit, returns the entries
    /// whose named-lawyer preference may have to lapse (overdue, or flagged by <see cref="CheckPreferencesFor"/>), and moves
    /// entries whose next widening step is due to their new level.
    /// </summary>
    public List<QueueEntry> Advance(DateTimeOffset now)
    {
        if (now < IndexedAt) Rebuild(now); // time went back (a caller's clock): levels are recomputed, not guessed
        IndexedAt = now;
        DropDueExclusions(_exclusionsWaiting, now);
        DropDueExclusions(_exclusionsOffered, now);
        while (_preferenceDue.Count > 0 && _preferenceDue.Min is var p && p.At <= now)
        {
            _preferenceDue.Remove(p);
            _slots[p.Id].PreferenceAt = null;
            _preferenceCheck.Add(p.Id);
        }
        // Reused: the caller walks it before the next Advance.
        var check = _check;
        check.Clear();
        if (_preferenceCheck.Count == 0) return check;
        foreach (var id in _preferenceCheck)
            if (_state.Queue.TryGetValue(id, out var e)) check.Add(e);
        _preferenceCheck.Clear();
        return check;
    }

    /// <summary>Moves entries whose widening step is due by <paramref name="now"/> to their level's buckets.</summary>
    public void Widen(DateTimeOffset now)
    {
        while (_widenDue.TryPeek(out var s) && s.WidenAt <= now)
        {
            _widenDue.Pop();
            s.WidenAt = null;
            s.WidenStamp = 0;
            var e = s.Entry;
            if (s.Preferred is not null) Track(e, now);
            else Relevel(e, s, now);
        }
    }

    /// <summary>What <see cref="Track"/> does for a waiting entry without a named lawyer whose widening step came: it moves
    /// to its new level's buckets (and is fresh); the rest of its indexing stays as it is.</summary>
    private void Relevel(QueueEntry e, Slot s, DateTimeOffset now)
    {
        DirtyEntries.Add(e);
        var from = RoutingPolicy.WideningFrom(e);
        var level = LevelAt(from, now);
        if (level != s.Level)
        {
            if (s.Buckets is { } old)
                foreach (var set in old) set.Remove(e);
            e.FiledAs = ++_stamps;
            s.Level = level;
            s.Buckets = BucketsOf(level, e.Category, e.Dialect);
            foreach (var set in s.Buckets) set.Add(e);
        }
        ScheduleWidening(e, s, from, level, now);
    }

    private int LevelAt(DateTimeOffset from, DateTimeOffset now)
    {
        var age = (now - from).TotalSeconds;
        var level = 0;
        while (level < _stepAfter.Length && _stepAfter[level] <= age) level++;
        return level;
    }

    private void ScheduleWidening(QueueEntry e, Slot s, DateTimeOffset from, int level, DateTimeOffset now)
    {
        if (level >= _stepAfter.Length) return;
        // The next step's moment (never not after now, whatever rounding did to the age).
        var at = from.AddSeconds(_stepAfter[level]);
        if (at <= now) at = now.AddTicks(1);
        s.WidenAt = at;
        s.WidenStamp = ++_stamps;
        _widenDue.Add(s, s.WidenStamp, at, lane: level);
    }

    private void DropDueExclusions(SortedSet<(DateTimeOffset At, string Id, string Lawyer)> set, DateTimeOffset now)
    {
        while (set.Count > 0 && set.Min is var x && x.At <= now)
        {
            set.Remove(x);
            var e = _state.Queue[x.Id];
            e.Exclusions.Remove(x.Lawyer);
            if (e.OfferedTo is null) DirtyEntries.Add(e);
        }
    }

    /// <summary>
    /// A lawyer's status, connection, capacity or profile changed: whether the exclusions of a waiting entry apply depends on
    /// who else is online and eligible, so every waiting entry with exclusions may now be open to more lawyers.
    /// </summary>
    public void LawyerChanged()
    {
        foreach (var (_, id, _) in _exclusionsWaiting) DirtyEntries.Add(_state.Queue[id]);
    }

    /// <summary>
    /// Lawyers with room that may match <paramref name="e"/> (a superset, possibly with repeats: the caller checks the
    /// profile), added to <paramref name="into"/>: the named lawyer, else those with the entry's category (and dialect)
    /// when its widening still requires it, else all.
    /// </summary>
    public void FreeFor(QueueEntry e, List<LawyerSlot> into)
    {
        if (e.PreferredLawyerId is { } preferred)
        {
            if (_state.Lawyers.TryGetValue(preferred, out var l) && Free.Contains(l)) into.Add(l);
            return;
        }
        var rules = _levels[FindSlot(e)!.Level];
        if (!rules.RequireCategory) AddAll(Free, into);
        else if (rules.AnyDialect)
        {
            if (_freeBySkill.TryGetValue(e.Category, out var set)) AddAll(set, into);
        }
        else
        {
            if (_freeBySkillDialect.TryGetValue((e.Category, e.Dialect), out var own)) AddAll(own, into);
            var also = rules.AlsoDialects;
            for (var i = 0; i < also.Count; i++) // by index: a foreach over the interface allocates an enumerator
                if (_freeBySkillDialect.TryGetValue((e.Category, also[i]), out var more)) AddAll(more, into);
        }
    }

    private static void AddAll(DenseSet<LawyerSlot> set, List<LawyerSlot> into)
    {
        for (var i = 0; i < set.Count; i++) into.Add(set[i]);
    }

    /// <summary>The widening rules in force for an entry at <paramref name="now"/> (what RoutingPolicy.RulesAt says, without allocating).</summary>
    public WideningRules RulesAt(QueueEntry e, DateTimeOffset now) => _levels[LevelAt(RoutingPolicy.WideningFrom(e), now)];

    /// <summary>The widening rules in force for a waiting entry (as of the last <see cref="Widen"/>; what RoutingPolicy.RulesAt says then).</summary>
    public WideningRules RulesOf(QueueEntry e) =>
        FindSlot(e) is { Level: >= 0 } s ? _levels[s.Level] : WideningRules.Exact;

    /// <summary>Asks the next <see cref="Advance"/> to check the preferences of the waiting entries naming this lawyer (their status or conflicts changed).</summary>
    public void CheckPreferencesFor(string lawyerId)
    {
        if (_byPreferred.TryGetValue(lawyerId, out var set))
            foreach (var e in set) _preferenceCheck.Add(e.ConsultationId);
    }

    /// <summary>The earliest moment something time-driven is due for the entries, as <see cref="RoutingEngine.NextDeadline"/> defines it.</summary>
    public DateTimeOffset? NextDeadline(DateTimeOffset now)
    {
        DateTimeOffset? next = null;
        void Consider(DateTimeOffset? at)
        {
            if (at is { } t && (next is null || t < next)) next = t;
        }
        if (_offerDue.TryPeek(out var offered)) Consider(offered.OfferAt);
        if (_preferenceDue.Count > 0) Consider(_preferenceDue.Min.At);
        if (_exclusionsWaiting.Count > 0) Consider(_exclusionsWaiting.Min.At);
        if (_widenDue.TryPeek(out var first))
        {
            if (first.WidenAt > now) Consider(first.WidenAt);
            else
            {
                // Some are due but not yet applied (no command since): for those the step after now, as
                // RoutingPolicy.NextWideningAt says; for the others their step (the earliest of them counts).
                foreach (var s in _widenDue.Current())
                {
                    if (s.WidenAt > now) Consider(s.WidenAt);
                    else Consider(RoutingPolicy.NextWideningAt(s.Entry, now, _options));
                }
            }
        }
        return next;
    }

    /// <summary>Slots by a deadline (widening step or offer), earliest first. An item is current while the slot's stamp is the
    /// one it was added with: clearing or moving a deadline only changes the stamp, and stale items are dropped when they
    /// reach the front.</summary>
    /// <remarks>Deadlines mostly come in time order per <i>lane</i> (an offer's is its moment plus the offer timeout; a widening
    /// step's is the arrival plus that step's delay, so one lane per step): those go to a first-in-first-out queue per lane,
    /// read and written in sequence. A deadline earlier than its lane's last (an entry that kept its age, an offer put back by
    /// <see cref="OffersDue"/>) goes to a heap. The heap it replaced cost O(log n) scattered reads per item at 10,000 waiting.</remarks>
    private sealed class DueQueue(bool widening, int lanes)
    {
        private readonly Queue<(Slot Slot, long Stamp, long At)>[] _lanes = [.. Enumerable.Range(0, lanes).Select(_ => new Queue<(Slot, long, long)>())];
        private readonly long[] _lastAt = new long[lanes];
        private readonly PriorityQueue<(Slot Slot, long Stamp), long> _heap = new();
        // Where the item TryPeek returned is: a lane, or -1 for the heap.
        private int _peeked = -2;

        private bool IsCurrent(Slot slot, long stamp) => (widening ? slot.WidenStamp : slot.OfferStamp) == stamp;

        public void Add(Slot s, long stamp, DateTimeOffset at, int lane = 0)
        {
            var ticks = at.UtcTicks;
            var fifo = _lanes[lane];
            if (fifo.Count == 0 || ticks >= _lastAt[lane])
            {
                fifo.Enqueue((s, stamp, ticks));
                _lastAt[lane] = ticks;
            }
            else _heap.Enqueue((s, stamp), ticks);
            _peeked = -2;
        }

        /// <summary>The slot with the earliest current deadline (stale items before it are dropped).</summary>
        public bool TryPeek(out Slot s)
        {
            s = null!;
            var best = long.MaxValue;
            _peeked = -2;
            for (var i = 0; i < _lanes.Length; i++)
            {
                var fifo = _lanes[i];
                while (fifo.TryPeek(out var item))
                {
                    if (IsCurrent(item.Slot, item.Stamp))
                    {
                        if (item.At < best) (best, s, _peeked) = (item.At, item.Slot, i);
                        break;
                    }
                    fifo.Dequeue();
                }
            }
            while (_heap.TryPeek(out var item, out var at))
            {
                if (IsCurrent(item.Slot, item.Stamp))
                {
                    if (at < best) (best, s, _peeked) = (at, item.Slot, -1);
                    break;
                }
                _heap.Dequeue();
            }
            return _peeked != -2;
        }

        /// <summary>Removes the item <see cref="TryPeek"/> just returned.</summary>
        public void Pop()
        {
            if (_peeked == -1) _heap.Dequeue();
            else if (_peeked >= 0) _lanes[_peeked].Dequeue();
            else throw new InvalidOperationException("Pop without a TryPeek that found an item");
            _peeked = -2;
        }

        /// <summary>Every slot with a current deadline, in no order.</summary>
        public IEnumerable<Slot> Current()
        {
            foreach (var fifo in _lanes)
                foreach (var item in fifo)
                    if (IsCurrent(item.Slot, item.Stamp)) yield return item.Slot;
            foreach (var (item, _) in _heap.UnorderedItems)
                if (IsCurrent(item.Slot, item.Stamp)) yield return item.Slot;
        }

        public void Clear()
        {
            foreach (var fifo in _lanes) fifo.Clear();
            _heap.Clear();
            _peeked = -2;
        }
    }

    // ---- lawyers ----

    /// <summary>Active consultations plus outstanding offers, and whether one of them is a phone call.</summary>
    public LawyerLoad LoadOf(LawyerSlot l)
    {
        var count = l.Active.Count;
        var phone = false;
        foreach (var ch in l.Active.Values) phone |= ch == Channel.Phone;
        var offers = RecordOf(l).Offers;
        count += offers.Count;
        phone |= offers.Phones > 0;
        return new LawyerLoad(count, phone);
    }

    /// <summary>
    /// Counts the changes to what the lawyers' views for wait estimates come from (<see cref="Refresh"/>, which every change
    /// to a lawyer goes through, and new handle times): a flush whose count, time and average handle time are those of
    /// the last one reuses its estimates without building the views.
    /// </summary>
    public long LawyerInputs { get; private set; }

    /// <summary>Something the lawyers' views depend on changed outside <see cref="Refresh"/> (the recent handle times).</summary>
    public void LawyerInputsChanged() => LawyerInputs++;

    /// <summary>Re-files a lawyer after a change of status, connection, capacity, active consultations or offers.</summary>
    public void Refresh(LawyerSlot l)
    {
        LawyerInputs++;
        var free = RoutingPolicy.IsOnline(l) && LoadOf(l).HasRoomFor(Channel.Web, l.Capacity);
        // Filed under the profile sets it had (an upsert replaces them): re-filed only when they or the membership change.
        var record = RecordOf(l);
        var filedAs = record.FiledAs;
        var filed = filedAs is not null;
        if (filed && (!free || !filedAs!.Is(l)))
        {
            record.FiledAs = null;
            foreach (var set in filedAs!.FreeSets!) set.Remove(l);
            filed = false;
        }
        if (free)
        {
            Free.Add(l);
            DirtyLawyers.Add(l);
            if (!filed) _unfiled.Add(l); // filed by FileFree, after the matching this change is for
        }
        else
        {
            _unfiled.Remove(l);
            if (Free.Remove(l)) LeftFree.Add(l);
            DirtyLawyers.Remove(l);
        }
    }

    // Lawyers with room not yet in the sets by skill (and dialect). A lawyer who gets room is looked up in full by the next
    // matching (it is dirty), which leaves out what FreeFor finds for it; most are given an offer in that very matching and
    // have no room after it, so filing them before would only add them to a dozen sets and take them out again.
    private readonly DenseSet<LawyerSlot> _unfiled = new();

    /// <summary>Files the lawyers who got room since the last call in the sets by skill and dialect (<see cref="FreeFor"/>).
    /// The engine calls it whenever a matching ends, before anything else may ask FreeFor.</summary>
    public void FileFree()
    {
        for (var i = 0; i < _unfiled.Count; i++)
        {
            var l = _unfiled[i];
            var record = RecordOf(l);
            var profile = ProfileOf(record, l);
            record.FiledAs = profile;
            foreach (var set in profile.FreeSets ??= FreeSetsOf(l)) set.Add(l);
        }
        _unfiled.Clear();
    }

    public void SetActive(string consultationId, LawyerSlot l) => _activeOwner[consultationId] = l;

    public void ClearActive(string consultationId) => _activeOwner.Remove(consultationId);

    /// <summary>The lawyer an active consultation is with (by the lawyers' own active lists).</summary>
    public LawyerSlot? ActiveOwner(string consultationId) => _activeOwner.GetValueOrDefault(consultationId);

    // ---- matching ----

    /// <summary>
    /// The first waiting entry in queue order that <paramref name="l"/> matches (profile under the widening in force,
    /// no conflict, not excluded where exclusions apply), ignoring capacity; null when none.
    /// </summary>
    public QueueEntry? Head(LawyerSlot l, Func<QueueEntry, LawyerSlot, bool> excluded)
    {
        QueueEntry? best = null;
        foreach (var set in HeadBucketsOf(l))
        {
            if (set.Min is not { } min) continue;
            if (best is not null && RoutingPolicy.CompareQueueOrder(min, best) >= 0) continue;
            if (Passes(min)) { best = min; continue; }
            foreach (var e in set)
            {
                if (best is not null && RoutingPolicy.CompareQueueOrder(e, best) >= 0) break;
                if (!Passes(e)) continue;
                best = e;
                break;
            }
        }
        return best;

        bool Passes(QueueEntry e) => !RoutingPolicy.IsConflicted(e, l) && !excluded(e, l);
    }

    /// <summary>
    /// The entries that may be in a lawyer's pull queue at <paramref name="now"/> (a superset: the caller checks each), added
    /// to <paramref name="into"/>: the waiting ones in the lawyer's buckets (every level), those whose widening step is due by
    /// then but not applied yet (no command since), and every offered one.
    /// </summary>
    public void PullCandidates(LawyerSlot l, DateTimeOffset now, HashSet<QueueEntry> into)
    {
        foreach (var bucket in HeadBucketsOf(l))
            foreach (var e in bucket) into.Add(e);
        if (_widenDue.TryPeek(out var first) && first.WidenAt <= now)
            foreach (var s in _widenDue.Current())
                if (s.WidenAt <= now) into.Add(s.Entry);
        foreach (var offers in _offersTo.Values)
            foreach (var e in offers) into.Add(e);
    }

    /// <summary>What the index works out once per lawyer profile (the engine replaces a lawyer's skill and dialect sets on an
    /// upsert, never changes them in place, so the sets identify the profile).</summary>
    internal sealed class Profile(HashSet<string> skills, HashSet<string> dialects)
    {
        public QueueBucket[]? HeadSets;
        public DenseSet<LawyerSlot>[]? FreeSets;

        public bool Is(LawyerSlot l) => ReferenceEquals(skills, l.Skills) && ReferenceEquals(dialects, l.Dialects);
    }

    private static Profile ProfileOf(LawyerRecord record, LawyerSlot l)
    {
        if (record.Profile is not { } p || !p.Is(l)) record.Profile = p = new Profile(l.Skills, l.Dialects);
        return p;
    }

    /// <summary>The sets of lawyers with room a lawyer goes in: by each skill, and by each skill and dialect.</summary>
    private DenseSet<LawyerSlot>[] FreeSetsOf(LawyerSlot l)
    {
        var sets = new List<DenseSet<LawyerSlot>>();
        foreach (var skill in l.Skills)
        {
            if (!_freeBySkill.TryGetValue(skill, out var set)) _freeBySkill[skill] = set = new();
            sets.Add(set);
            foreach (var d in l.Dialects)
            {
                if (!_freeBySkillDialect.TryGetValue((skill, d), out var sd)) _freeBySkillDialect[(skill, d)] = sd = new();
                sets.Add(sd);
            }
        }
        return [.. sets];
    }

    /// <summary>The buckets a lawyer's head may be in, at every level (made on first need, so entries filed later land in them).</summary>
    private QueueBucket[] HeadBucketsOf(LawyerSlot l)
    {
        var profile = ProfileOf(RecordOf(l), l);
        if (profile.HeadSets is { } cached) return cached;
        var sets = new List<QueueBucket> { Bucket(_byPreferred, l.LawyerId) };
        for (var k = 0; k < _levels.Length; k++)
        {
            var rules = _levels[k];
            var anyDialect = rules.AnyDialect;
            foreach (var d in rules.AlsoDialects) anyDialect |= l.Dialects.Contains(d);
            if (rules.RequireCategory)
            {
                foreach (var c in l.Skills)
                {
                    if (anyDialect) sets.Add(Bucket(_byCategory[k], c));
                    else foreach (var d in l.Dialects) sets.Add(PairBucket(_byCategoryDialect[k], c, d));
                }
            }
            else if (anyDialect) sets.Add(_all[k]);
            else foreach (var d in l.Dialects) sets.Add(Bucket(_byDialect[k], d));
        }
        return profile.HeadSets = [.. sets];
    }

    private static QueueBucket PairBucket(Dictionary<(string, string), QueueBucket> buckets, string category, string dialect)
    {
        if (!buckets.TryGetValue((category, dialect), out var set)) buckets[(category, dialect)] = set = new QueueBucket();
        return set;
    }

    private static QueueBucket Bucket(Dictionary<string, QueueBucket> buckets, string key)
    {
        if (!buckets.TryGetValue(key, out var set)) buckets[key] = set = new QueueBucket();
        return set;
    }

    /// <summary>The buckets a non-preferred waiting entry of this level, category and dialect belongs to (made on first need,
    /// worked out once per level and pair).</summary>
    private QueueBucket[] BucketsOf(int level, string category, string dialect)
    {
        if (_bucketsOf[level].TryGetValue((category, dialect), out var cached)) return cached;
        var rules = _levels[level];
        var list = new List<QueueBucket>(2);
        if (rules.RequireCategory)
        {
            // By category alone only where some lawyer may take any dialect (Head looks there only then).
            if (rules.AnyDialect || rules.AlsoDialects.Count > 0) list.Add(Bucket(_byCategory[level], category));
            if (!rules.AnyDialect) list.Add(PairBucket(_byCategoryDialect[level], category, dialect));
        }
        else
        {
            list.Add(_all[level]);
            if (!rules.AnyDialect) list.Add(Bucket(_byDialect[level], dialect));
        }
        return _bucketsOf[level][(category, dialect)] = [.. list];
    }
}
