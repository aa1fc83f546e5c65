namespace Hotline.Domain;

/// <summary>
/// The work-conserving router over a <see cref="RouterState"/>: every command mutates the state, then re-runs
/// matching until nothing more matches, and returns the effects for the caller (a grain) to carry out.
/// Pure: time comes in as arguments, nothing here does I/O.
/// </summary>
/// <remarks>
/// <para>The rules themselves live in <see cref="RoutingPolicy"/>. Matching is one pass over the waiting (not offered) entries
/// in queue order, each offered to its best eligible candidate among lawyers with free capacity. It is not head-of-line: a
/// later entry is matched even when an earlier one cannot be, with one exception that keeps "priority then age" across
/// channels: a phone call needs a lawyer free of other work, so a waiting call <b>reserves</b> every lawyer eligible for it
/// who still has other work: they get no new chats until one of them is free and the call is offered
/// (<see cref="ReservedLawyers"/>). One pass reaches the fixed point: free capacity only shrinks and reservations only grow
/// during the pass, so an entry that found no candidate cannot find one later in it.</para>
/// <para>Before matching, every command drops exclusions past their limit and lapses named-lawyer preferences that are
/// overdue or whose lawyer is offline.</para>
/// <para><b>Cost</b>: the engine keeps in-memory indexes over the state (<see cref="RoutingIndex"/>: waiting entries bucketed
/// by widening level, category and dialect; time-ordered deadlines; offers per lawyer; lawyers with room). Matching is
/// driven by the lawyers with room: each one's first eligible entry (its <i>head</i>) is looked up in its few buckets, and
/// the heads are merged in queue order, which visits exactly the entries the one pass above would act on, in the same
/// order, with the same candidates. A command thus costs O(log n) in the queue's length n per entry or lawyer it changes,
/// plus the lawyers with room. The indexes are rebuilt from the state when an engine is made (a restart, a snapshot).</para>
/// <para>Queue positions are not computed per command: <see cref="FlushPositions"/> returns those that changed since it was
/// last called, so a caller pushes them at its own pace (coalesced) at O(n log n) per flush, not per event.</para>
/// <para>A failed command (an error code) changes nothing. Not thread-safe (a grain is single-threaded).</para>
/// </remarks>
public sealed class RoutingEngine(RouterState state, RoutingOptions options)
{
    /// <summary>How many recent handle times are kept for wait estimates.</summary>
    public const int HandleTimeWindow = 200;

    public RouterState State { get; } = state;
    public RoutingOptions Options { get; } = options;

    /// <summary>Offers made by this engine instance (routing decisions), for benchmarks and diagnostics; not persisted.</summary>
    public long OffersMade { get; private set; }

    private readonly HashSet<string> _reserved = new(StringComparer.Ordinal);
    private readonly List<RoutingEffect> _effects = [];
    // Lawyers held for a call, by call, and the call each is held for (the reservations of the last pass; not persisted).
    // The calls are also kept dense (DenseSet), as matching walks them on every command.
    private readonly Dictionary<QueueEntry, DenseSet<LawyerSlot>> _held = new(ReferenceEqualityComparer.Instance);
    private readonly DenseSet<QueueEntry> _heldCalls = new();
    private readonly Dictionary<LawyerSlot, QueueEntry> _heldFor = new(ReferenceEqualityComparer.Instance);
    // Groups let go, kept for the next calls (a group's set grows to its lawyers once, not per call).
    private readonly Stack<DenseSet<LawyerSlot>> _spareGroups = new();
    // Scratch collections and per-pass values of Match, kept in fields to spare allocations (closures, delegates, sets).
    // Made with the index (their marks are on its records).
    private PassSet _full = null!, _clean = null!;
    private readonly List<QueueEntry> _fresh = [], _calls = [];
    private readonly PriorityQueue<LawyerSlot, QueueEntry> _heads = new(RoutingPolicy.QueueOrder);
    private readonly List<LawyerSlot> _candidates = [], _lawyers = [];
    private readonly Dictionary<QueueEntry, bool> _exclusionsApply = new(ReferenceEqualityComparer.Instance);
    private DateTimeOffset _matchAt;
    private Func<QueueEntry, LawyerSlot, bool>? _excluded;
    private RoutingIndex? _index;
    private Dictionary<string, QueuePosition> _pushed = new(StringComparer.Ordinal);
    private bool _positionsDirty = true;
    // FlushPositions: what it filed, and the estimates of the last flush with what they were made from (see its remarks).
    private bool _pushedReplaced;
    private readonly List<(List<PositionNode> List, int From)> _touched = [];
    private readonly List<string> _departed = [];
    private readonly List<PositionNode> _changedNodes = [];
    private readonly PriorityQueue<(List<PositionNode> List, int At), PositionNode> _cursors = new(PositionNode.Order);
    private QueueEstimates? _estimates;
    private DateTimeOffset _estimatedAt;
    private double _estimatedAht;
    private long _estimatedInputs;

    /// <summary>How many categories the position index keeps a list for (tests: only those with an entry waiting, as of the last flush).</summary>
    internal int PositionCategories => _index?.Positions.Count ?? 0;

    /// <summary>The indexes, built on first use (their widening levels need a time) and rebuilt if time goes back.</summary>
    private RoutingIndex Index(DateTimeOffset now)
    {
        if (_index is null)
        {
            _index = new RoutingIndex(State, Options, now);
            (_full, _clean) = (new PassSet(_index, 0), new PassSet(_index, 1));
        }
        else if (now < _index.IndexedAt)
        {
            _index.Rebuild(now);
            ClearHolds(); // every lawyer with room is looked up in full again
        }
        return _index;
    }

    /// <summary>
    /// Lawyers with room for a chat who are held free for a waiting phone call (as of the last command): the oldest item they
    /// are eligible for is a call, which needs them free of other work. Not persisted (recomputed by every command).
    /// </summary>
    public IReadOnlyCollection<string> ReservedLawyers => _reserved;

    /// <summary>A new (or transferred, or grace-expired) consultation enters the queue.</summary>
    /// <remarks>The entry is copied. A default <see cref="QueueEntry.QueuedAt"/> becomes <paramref name="now"/>, a default
    /// <see cref="QueueEntry.RoutedSince"/> becomes QueuedAt; a <see cref="QueueEntry.Sequence"/> &lt;= 0 gets the next arrival
    /// number. A preferred lawyer gets <see cref="RoutingOptions.PreferenceTimeoutSeconds"/> from <paramref name="now"/> unless
    /// the entry says otherwise. Conflict when the id is queued or active.</remarks>
    public RoutingResult Enqueue(QueueEntry entry, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (string.IsNullOrWhiteSpace(entry.ConsultationId) || string.IsNullOrWhiteSpace(entry.Category) || string.IsNullOrWhiteSpace(entry.Dialect))
            return RoutingResult.Fail(RoutingErrors.Validation, "consultation id, category and dialect are required");
        if (Exists(entry.ConsultationId, now))
            return RoutingResult.Fail(RoutingErrors.Conflict, $"consultation {entry.ConsultationId} is already routed");
        var e = entry.Clone();
        e.OfferedTo = null;
        e.OfferExpiresAt = null;
        e.AssignedTo = null;
        e.AssignedAt = null;
        if (e.QueuedAt == default) e.QueuedAt = now;
        if (e.RoutedSince == default) e.RoutedSince = e.QueuedAt;
        if (e.PreferredLawyerId is { } preferred)
        {
            e.Exclusions.Remove(preferred);
            e.PreferenceExpiresAt ??= now.AddSeconds(Options.PreferenceTimeoutSeconds);
        }
        else e.PreferenceExpiresAt = null;
        if (e.Sequence <= 0) e.Sequence = State.NextSequence++;
        else State.NextSequence = Math.Max(State.NextSequence, e.Sequence + 1);
        State.Queue[e.ConsultationId] = e;
        Index(now).Track(e, now);
        return Finish(NewEffects(), now);
    }

    /// <summary>Adds or updates a lawyer's profile, capacity and status. Going away/offline revokes pending offers (Cancelled).</summary>
    /// <remarks>An upsert also marks the lawyer connected. Offers that no longer fit (skills, dialects, conflicts, lower
    /// capacity) are revoked (Cancelled) and re-routed. A lawyer becoming available with no load counts as idle from
    /// <paramref name="now"/>. Every active consultation of the lawyer whose employer is among their conflicts yields an
    /// <see cref="ActiveConsultationConflicted"/> (on every upsert, so a lost requeue is asked for again).</remarks>
    public RoutingResult UpsertLawyer(LawyerInfo info, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(info);
        if (string.IsNullOrWhiteSpace(info.LawyerId))
            return RoutingResult.Fail(RoutingErrors.Validation, "lawyer id is required");
        if (info.Capacity < 0)
            return RoutingResult.Fail(RoutingErrors.Validation, "capacity must not be negative");
        var index = Index(now);
        var effects = NewEffects();
        var isNew = !State.Lawyers.TryGetValue(info.LawyerId, out var slot);
        if (slot is null)
        {
            slot = new LawyerSlot { LawyerId = info.LawyerId, IdleSince = now };
            State.Lawyers[info.LawyerId] = slot;
        }
        var wasOnline = !isNew && RoutingPolicy.IsOnline(slot);
        slot.DisplayName = info.DisplayName ?? "";
        slot.Skills = [.. info.Skills ?? []];
        slot.Dialects = [.. info.Dialects ?? []];
        slot.Capacity = info.Capacity;
        slot.Status = info.Status;
        slot.Connected = true;
        slot.Conflicts = [.. info.Conflicts ?? []];
        RevalidateOffers(slot, now, effects);
        if (slot.Conflicts.Count > 0)
            foreach (var id in slot.Active.Keys.Order(StringComparer.Ordinal))
                if (State.ActiveEntries.TryGetValue(id, out var active) && RoutingPolicy.IsConflicted(active, slot))
                    effects.Add(new ActiveConsultationConflicted(id, slot.LawyerId));
        if (!wasOnline && RoutingPolicy.IsOnline(slot) && index.LoadOf(slot).Count == 0) slot.IdleSince = now;
        index.Refresh(slot);
        index.CheckPreferencesFor(slot.LawyerId);
        index.LawyerChanged();
        return Finish(effects, now);
    }

    /// <summary>The lawyer's connection is back (also implied by <see cref="UpsertLawyer"/>): new offers may be made again.</summary>
    public RoutingResult LawyerConnected(string lawyerId, DateTimeOffset now)
    {
        if (!State.Lawyers.TryGetValue(lawyerId, out var slot))
            return RoutingResult.Fail(RoutingErrors.NotFound, $"lawyer {lawyerId} is not known to the router");
        slot.Connected = true;
        Index(now).Refresh(slot);
        _index!.LawyerChanged();
        return Finish(NewEffects(), now);
    }

    /// <summary>The lawyer accepts an offer made to them.</summary>
    /// <remarks>An offer past its deadline that <see cref="Tick"/> has not expired yet can still be accepted.</remarks>
    public RoutingResult Accept(string consultationId, string lawyerId, DateTimeOffset now)
    {
        Index(now);
        if (!State.Queue.TryGetValue(consultationId, out var e))
            return State.ActiveEntries.ContainsKey(consultationId)
                ? RoutingResult.Fail(RoutingErrors.NotOffered, $"consultation {consultationId} is already active")
                : RoutingResult.Fail(RoutingErrors.NotFound, $"consultation {consultationId} is not routed");
        if (!string.Equals(e.OfferedTo, lawyerId, StringComparison.Ordinal) || !State.Lawyers.TryGetValue(lawyerId, out var lawyer))
            return RoutingResult.Fail(RoutingErrors.NotOffered, $"consultation {consultationId} is not offered to {lawyerId}");
        var effects = NewEffects();
        Assign(e, lawyer, now, effects);
        return Finish(effects, now);
    }

    /// <summary>
    /// Pull: the lawyer takes a waiting consultation at once, queued or offered to someone else (whose offer is revoked,
    /// <see cref="OfferRevokeReason.Taken"/>); one offered to this lawyer is simply accepted.
    /// </summary>
    /// <remarks>Conflict unless <see cref="RoutingPolicy.CanPull"/> holds, the lawyer is not excluded from it (see
    /// <see cref="Pullable"/>) and has room for its channel (offers count); status does not matter (the lawyer asks).
    /// Conflict when already active; NotFound for an unknown id or lawyer.</remarks>
    /// <param name="consultationId">The consultation.</param>
    /// <param name="lawyerId">The lawyer who takes it.</param>
    /// <param name="now">The instant.</param>
    /// <param name="respectExclusions">False only to replay a claim journaled before pull respected exclusions.</param>
    public RoutingResult Claim(string consultationId, string lawyerId, DateTimeOffset now, bool respectExclusions = true)
    {
        if (!State.Queue.TryGetValue(consultationId, out var e))
            return State.ActiveEntries.ContainsKey(consultationId)
                ? RoutingResult.Fail(RoutingErrors.Conflict, $"consultation {consultationId} is already taken")
                : RoutingResult.Fail(RoutingErrors.NotFound, $"consultation {consultationId} is not waiting");
        if (!State.Lawyers.TryGetValue(lawyerId, out var lawyer))
            return RoutingResult.Fail(RoutingErrors.NotFound, $"lawyer {lawyerId} is not known to the router");
        if (string.Equals(e.OfferedTo, lawyerId, StringComparison.Ordinal)) return Accept(consultationId, lawyerId, now);
        if (!(respectExclusions ? Pullable(e, lawyer, now) : RoutingPolicy.CanPull(e, lawyer, now, Options)))
            return RoutingResult.Fail(RoutingErrors.Conflict, $"consultation {consultationId} is not for {lawyerId}");
        if (!Index(now).LoadOf(lawyer).HasRoomFor(e.Channel, lawyer.Capacity))
            return RoutingResult.Fail(RoutingErrors.Conflict, $"{lawyerId} has no free capacity for it");
        var effects = NewEffects();
        var previous = e.OfferedTo;
        if (previous is not null) Revoke(e, OfferRevokeReason.Taken, effects, now);
        Assign(e, lawyer, now, effects);
        if (previous is not null) TouchIdle(previous, now);
        return Finish(effects, now);
    }

    /// <summary>
    /// The consultations waiting in the queue (queued or offered) that <paramref name="lawyerId"/> could claim now
    /// (<see cref="Pullable"/>), in queue order; copies. Empty for an unknown lawyer.
    /// </summary>
    /// <remarks>Only the entries in the lawyer's buckets of the index (and the offered ones) are checked, not the whole queue.</remarks>
    /// <summary>The offers open to this lawyer (from the index: no scan of the queue).</summary>
    public IReadOnlyList<QueueEntry> OffersTo(string lawyerId, DateTimeOffset now) => Index(now).OffersTo(lawyerId);

    public IReadOnlyList<QueueEntry> GetQueueFor(string lawyerId, DateTimeOffset now)
    {
        if (!State.Lawyers.TryGetValue(lawyerId, out var lawyer) || lawyer.Capacity <= 0) return [];
        var candidates = new HashSet<QueueEntry>(ReferenceEqualityComparer.Instance);
        Index(now).PullCandidates(lawyer, now, candidates);
        var list = new List<QueueEntry>();
        foreach (var e in candidates)
            if (Pullable(e, lawyer, now)) list.Add(e);
        list.Sort(RoutingPolicy.QueueOrder);
        return list.ConvertAll(e => e.Clone());
    }

    /// <summary>
    /// Whether the lawyer may see and take the entry by pull: <see cref="RoutingPolicy.CanPull"/>, and not while an
    /// exclusion of theirs from it is in force (they declined it or let its offer lapse, and someone else on duty could
    /// take it), exactly as for offers: declining ends their view of it (need-to-know), and on a night with nobody else
    /// on duty the exclusion does not apply.
    /// </summary>
    private bool Pullable(QueueEntry e, LawyerSlot lawyer, DateTimeOffset now) =>
        RoutingPolicy.CanPull(e, lawyer, now, Options)
        && !(RoutingPolicy.IsExclusionCurrent(e, lawyer.LawyerId, now, Options)
             && RoutingPolicy.ExclusionsApply(e, State.Lawyers.Values, RoutingPolicy.RulesAt(e, now, Options), now, Options));

    private void Assign(QueueEntry e, LawyerSlot lawyer, DateTimeOffset now, List<RoutingEffect> effects)
    {
        var index = Index(now);
        index.ClearOffer(e, refile: !string.Equals(e.OfferedTo, lawyer.LawyerId, StringComparison.Ordinal)); // re-filed below
        index.Forget(e);
        State.Queue.Remove(e.ConsultationId);
        _pushed.Remove(e.ConsultationId);
        e.OfferedTo = null;
        e.OfferExpiresAt = null;
        e.AssignedTo = lawyer.LawyerId;
        e.AssignedAt = now;
        State.ActiveEntries[e.ConsultationId] = e;
        lawyer.Active[e.ConsultationId] = e.Channel;
        index.SetActive(e.ConsultationId, lawyer);
        index.Refresh(lawyer);
        effects.Add(new ConsultationAssigned(e.ConsultationId, lawyer.LawyerId, Math.Max(0, (now - e.QueuedAt).TotalSeconds)));
    }

    /// <summary>The lawyer declines: excluded for a while (see <see cref="RoutingPolicy"/>), offered to the next candidate.</summary>
    /// <remarks>No <see cref="OfferWithdrawn"/> is emitted (the lawyer knows). A preferred lawyer who declines lifts the preference.</remarks>
    public RoutingResult Decline(string consultationId, string lawyerId, DateTimeOffset now)
    {
        if (!State.Queue.TryGetValue(consultationId, out var e))
            return RoutingResult.Fail(RoutingErrors.NotFound, $"consultation {consultationId} is not queued");
        if (!string.Equals(e.OfferedTo, lawyerId, StringComparison.Ordinal))
            return RoutingResult.Fail(RoutingErrors.NotOffered, $"consultation {consultationId} is not offered to {lawyerId}");
        var index = Index(now);
        index.ClearOffer(e);
        e.OfferedTo = null;
        e.OfferExpiresAt = null;
        index.Track(e, now);
        Exclude(e, lawyerId, now, now);
        TouchIdle(lawyerId, now);
        return Finish(NewEffects(), now);
    }

    /// <summary>An active consultation ends (closed): frees the lawyer's capacity and records the handle time.</summary>
    /// <remarks>Without <paramref name="handleSeconds"/> the handle time is measured from the accept.</remarks>
    public RoutingResult Release(string consultationId, DateTimeOffset now, double? handleSeconds)
    {
        if (handleSeconds is { } hs && (double.IsNaN(hs) || double.IsInfinity(hs) || hs < 0))
            return RoutingResult.Fail(RoutingErrors.Validation, "handle time must be a non-negative number");
        var index = Index(now);
        var lawyer = FindActiveLawyer(consultationId, now);
        if (lawyer is null)
            return RoutingResult.Fail(RoutingErrors.NotFound, $"consultation {consultationId} is not active");
        State.ActiveEntries.Remove(consultationId, out var e);
        var handle = handleSeconds ?? (e?.AssignedAt is { } at ? Math.Max(0, (now - at).TotalSeconds) : null);
        if (handle is { } h)
        {
            State.RecentHandleSeconds.Add(h);
            index.LawyerInputsChanged(); // a running chat's expected remaining time depends on the recent handle times
            if (State.RecentHandleSeconds.Count > HandleTimeWindow)
                State.RecentHandleSeconds.RemoveRange(0, State.RecentHandleSeconds.Count - HandleTimeWindow);
        }
        lawyer.Active.Remove(consultationId);
        index.ClearActive(consultationId);
        index.Refresh(lawyer);
        TouchIdle(lawyer.LawyerId, now);
        return Finish(NewEffects(), now);
    }

    /// <summary>A queued or offered consultation leaves (worker abandoned it). Revokes its offer (Cancelled).</summary>
    /// <remarks>Conflict when the consultation is active (use <see cref="Release"/>); NotFound when unknown.</remarks>
    public RoutingResult Remove(string consultationId, DateTimeOffset now)
    {
        var index = Index(now);
        if (!State.Queue.TryGetValue(consultationId, out var e))
            return State.ActiveEntries.ContainsKey(consultationId)
                ? RoutingResult.Fail(RoutingErrors.Conflict, $"consultation {consultationId} is active; release it instead")
                : RoutingResult.Fail(RoutingErrors.NotFound, $"consultation {consultationId} is not queued");
        var effects = NewEffects();
        var lawyerId = e.OfferedTo;
        if (lawyerId is not null) Revoke(e, OfferRevokeReason.Cancelled, effects, now);
        index.Forget(e);
        State.Queue.Remove(consultationId);
        _pushed.Remove(consultationId);
        if (lawyerId is not null) TouchIdle(lawyerId, now);
        return Finish(effects, now);
    }

    /// <summary>
    /// A consultation goes back to routing keeping its original age: an active one (transfer, lost lawyer, conflict) or a
    /// waiting one (admin requeue; its outstanding offer is revoked, Cancelled).
    /// </summary>
    /// <remarks>Keeps QueuedAt, Priority and Sequence (so it stays ahead of newer ones) and earlier exclusions; widening restarts
    /// (<see cref="QueueEntry.RoutedSince"/> = <paramref name="now"/>). <paramref name="preferredLawyerId"/> replaces any earlier
    /// preference (null clears it), gets <see cref="RoutingOptions.PreferenceTimeoutSeconds"/> and is taken off the exclusions;
    /// <paramref name="excludeLawyerId"/> is excluded from now. The old lawyer's capacity is freed.</remarks>
    public RoutingResult Requeue(string consultationId, string? newCategory, string? preferredLawyerId, string? excludeLawyerId, DateTimeOffset now)
    {
        if (newCategory is not null && string.IsNullOrWhiteSpace(newCategory))
            return RoutingResult.Fail(RoutingErrors.Validation, "category must not be empty");
        if (preferredLawyerId is not null && string.Equals(preferredLawyerId, excludeLawyerId, StringComparison.Ordinal))
            return RoutingResult.Fail(RoutingErrors.Validation, "cannot both prefer and exclude the same lawyer");
        var index = Index(now);
        var effects = NewEffects();
        string? freed = null;
        if (State.ActiveEntries.TryGetValue(consultationId, out var e))
        {
            freed = e.AssignedTo;
            State.ActiveEntries.Remove(consultationId);
            if (freed is not null && State.Lawyers.TryGetValue(freed, out var slot))
            {
                slot.Active.Remove(consultationId);
                if (ReferenceEquals(index.ActiveOwner(consultationId), slot)) index.ClearActive(consultationId);
                index.Refresh(slot);
            }
            e.AssignedTo = null;
            e.AssignedAt = null;
            State.Queue[consultationId] = e;
        }
        else if (State.Queue.TryGetValue(consultationId, out e))
        {
            freed = e.OfferedTo;
            if (freed is not null) Revoke(e, OfferRevokeReason.Cancelled, effects, now);
            index.Untrack(e); // changed below, indexed again after
        }
        else return RoutingResult.Fail(RoutingErrors.NotFound, $"consultation {consultationId} is not routed");
        e.OfferedTo = null;
        e.OfferExpiresAt = null;
        e.RoutedSince = now;
        if (newCategory is not null) e.Category = newCategory;
        e.PreferredLawyerId = preferredLawyerId;
        e.PreferenceExpiresAt = preferredLawyerId is null ? null : now.AddSeconds(Options.PreferenceTimeoutSeconds);
        if (preferredLawyerId is not null) e.Exclusions.Remove(preferredLawyerId);
        if (excludeLawyerId is not null) e.Exclusions[excludeLawyerId] = now;
        index.Track(e, now);
        if (freed is not null) TouchIdle(freed, now);
        return Finish(effects, now);
    }

    /// <summary>The lawyer's last connection dropped: pending offers are revoked (Cancelled) and re-routed at once.</summary>
    /// <remarks>The lawyer gets no new offers until upserted again or <see cref="LawyerConnected"/>; active consultations
    /// are untouched (the grain handles the grace period, then calls <see cref="Requeue"/>).</remarks>
    public RoutingResult LawyerDisconnected(string lawyerId, DateTimeOffset now)
    {
        if (!State.Lawyers.TryGetValue(lawyerId, out var slot))
            return RoutingResult.Fail(RoutingErrors.NotFound, $"lawyer {lawyerId} is not known to the router");
        var effects = NewEffects();
        slot.Connected = false;
        var index = Index(now);
        RevokeAllOffersTo(lawyerId, OfferRevokeReason.Cancelled, effects, now);
        index.Refresh(slot);
        index.CheckPreferencesFor(lawyerId);
        index.LawyerChanged();
        TouchIdle(lawyerId, now);
        return Finish(effects, now);
    }

    /// <summary>Timer while running: expires offers (lawyer set away if configured), lapses preferences and exclusions, re-matches.</summary>
    /// <remarks>An expired offer: <see cref="OfferWithdrawn"/> (Timeout), the lawyer is excluded from that consultation from the
    /// deadline on, and with <see cref="RoutingOptions.SetAwayOnTimeout"/> an available lawyer is set away
    /// (<see cref="LawyerStatusForced"/>) and their other offers are revoked (Cancelled). Widening needs no action: it is part
    /// of eligibility at <paramref name="now"/>. A fresh activation calls <see cref="Recover"/> instead: deadlines that passed
    /// while nothing ran are nobody's fault.</remarks>
    public RoutingResult Tick(DateTimeOffset now)
    {
        var effects = NewEffects();
        var expired = Index(now).OffersDue(now);
        expired.Sort((a, b) =>
        {
            var c = Nullable.Compare(a.OfferExpiresAt, b.OfferExpiresAt);
            return c != 0 ? c : RoutingPolicy.CompareQueueOrder(a, b);
        });
        foreach (var e in expired)
        {
            if (e.OfferedTo is not { } lawyerId) continue; // revoked meanwhile (its lawyer was set away)
            var deadline = e.OfferExpiresAt!.Value;
            Revoke(e, OfferRevokeReason.Timeout, effects, now);
            Exclude(e, lawyerId, deadline, now);
            if (Options.SetAwayOnTimeout && State.Lawyers.TryGetValue(lawyerId, out var slot) && slot.Status == LawyerStatus.Available)
            {
                slot.Status = LawyerStatus.Away;
                effects.Add(new LawyerStatusForced(lawyerId, LawyerStatus.Away));
                RevokeAllOffersTo(lawyerId, OfferRevokeReason.Cancelled, effects, now);
                _index!.Refresh(slot);
                _index.LawyerChanged();
            }
            TouchIdle(lawyerId, now);
        }
        return Finish(effects, now);
    }

    /// <summary>
    /// First step of a fresh activation (after a restart, failover or deactivation), instead of <see cref="Tick"/>: offers whose
    /// deadline passed while no activation ran are withdrawn (Cancelled) and re-routed, their lawyers neither set away nor
    /// excluded; then preferences and exclusions lapse by time and matching runs as for any event.
    /// </summary>
    public RoutingResult Recover(DateTimeOffset now)
    {
        var effects = NewEffects();
        var overdue = Index(now).OffersDue(now);
        overdue.Sort(RoutingPolicy.QueueOrder);
        foreach (var e in overdue)
        {
            var lawyerId = e.OfferedTo!;
            Revoke(e, OfferRevokeReason.Cancelled, effects, now);
            TouchIdle(lawyerId, now);
        }
        return Finish(effects, now);
    }

    /// <summary>When <see cref="Tick"/> next has something to do (an offer deadline, a widening step, a preference or an
    /// exclusion lapsing), if ever.</summary>
    /// <remarks>May be &lt;= <paramref name="now"/> when an offer is already overdue.</remarks>
    public DateTimeOffset? NextDeadline(DateTimeOffset now) => Index(now).NextDeadline(now);

    /// <summary>Position (1-based, among not-yet-offered eligible-ordered queue) and estimated wait.</summary>
    /// <remarks>
    /// Position counts the waiting (not offered) entries <b>of the same category</b> in queue order, this one included: other
    /// categories are served by other lawyers. The estimate comes from <see cref="WaitEstimator"/> over the lawyers online and
    /// eligible for the entry under the widening in force (their capacity, and the expected remaining time of the chats they
    /// have in progress); it is null when no eligible lawyer is online. An entry being offered reports position 0 and estimate 0.
    /// Null when not queued. O(queue + lawyers).
    /// </remarks>
    public QueuePosition? GetPosition(string consultationId, DateTimeOffset now)
    {
        if (!State.Queue.TryGetValue(consultationId, out var e)) return null;
        if (e.OfferedTo is not null) return new QueuePosition(consultationId, 0, 0, 1);
        var pos = Index(now).PositionInCategory(e);
        var aht = AverageHandleSeconds();
        var estimator = new QueueEstimates(LawyerViews(now, aht), aht).For(e, RoutingPolicy.RulesAt(e, now, Options));
        return new QueuePosition(consultationId, pos, estimator.Estimate(pos), estimator.LawyersOnline);
    }

    /// <summary>Positions and estimates of all waiting (not offered) entries, in queue order: the full computation, which
    /// <see cref="FlushPositions"/> does incrementally (and is tested against).</summary>
    /// <remarks>O(n log n) (the queue is put in order) plus one estimator per group of entries that see the same lawyers
    /// (<see cref="QueueEstimates"/>): each lawyer's slots are worked out once, and the lawyers of a group once, by bit sets.</remarks>
    public IReadOnlyList<QueuePosition> ComputePositions(DateTimeOffset now)
    {
        var index = Index(now);
        if (index.WaitingCount == 0) return [];
        var waiting = index.WaitingInQueueOrder();
        if (waiting.Count == 0) return [];
        var aht = AverageHandleSeconds();
        var estimates = new QueueEstimates(LawyerViews(now, aht), aht);
        var perCategory = new Dictionary<string, int>(StringComparer.Ordinal);
        var result = new List<QueuePosition>(waiting.Count);
        foreach (var e in waiting)
        {
            ref var pos = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(perCategory, e.Category, out _);
            pos++;
            // The widening in force at now (RoutingPolicy.RulesAt), which may be past the index's last command.
            var estimator = estimates.For(e, index.RulesAt(e, now));
            result.Add(new QueuePosition(e.ConsultationId, pos, estimator.Estimate(pos), estimator.LawyersOnline));
        }
        return result;
    }

    /// <summary>
    /// The waiting entries whose position or estimate changed since the last flush (all of them after a restart), or null
    /// when none did or no command ran since, in queue order. Positions are not computed per command: a caller flushes at
    /// its own pace (the router grain twice a second), so a burst of events costs one computation. Positions are not persisted.
    /// </summary>
    /// <remarks>
    /// The same output as diffing <see cref="ComputePositions"/> against what was pushed, computed incrementally:
    /// <para><b>Positions</b>: the index keeps every category's waiting entries in queue order (<see cref="CategoryOrder"/>,
    /// filed here from what the commands tracked and untracked), so a position is a rank, nothing is sorted, and per
    /// category only the ranks from the first one a command touched can have moved.</para>
    /// <para><b>Estimates</b> depend on the lawyers' views (their slots, which free up with time: the expected remaining
    /// time of a chat depends on how long it has run), on the average handle time and on the widening in force at
    /// <paramref name="now"/>. So the views are worked out every flush (O(lawyers)); if they, the average and
    /// <paramref name="now"/> are all as at the last flush, every estimator is too, and is reused with what it already
    /// stepped: only the entries from each touched category's first moved rank are looked at. Otherwise (time moved and a
    /// chat is running, an offer, an accept, a lawyer came or went) every waiting entry is looked at in the kept order
    /// with fresh estimators: O(queue) estimator steps, but no sort and no dictionary look-up per unchanged entry.</para>
    /// </remarks>
    public QueuePositionsChanged? FlushPositions(DateTimeOffset now)
    {
        if (!_positionsDirty) return null;
        _positionsDirty = false;
        if (State.Queue.Count == 0 && _pushed.Count == 0)
        {
            // Nothing to push, but what came and went since the last flush is filed, so its notes do not pile up.
            Index(now).Positions.Apply(_touched, _departed);
            return null;
        }
        var index = Index(now);
        var reset = index.Positions.Apply(_touched, _departed) | _pushedReplaced;
        _pushedReplaced = false;
        // An entry that left its list and waits no more (offered, assigned, removed) is forgotten; one filed again keeps its record.
        foreach (var id in _departed)
            if (!index.IsWaiting(id)) _pushed.Remove(id);
        var aht = AverageHandleSeconds();
        // The lawyers' views are made only when something they come from changed: every change to a lawyer (profile, status,
        // connection, capacity, active consultations, offers) re-files it in the index, which counts it, and so does a new
        // handle time. Comparing the views themselves cost O(lawyers) per flush.
        var same = !reset && _estimates is not null && _estimatedAt == now && _estimatedAht.Equals(aht) && _estimatedInputs == index.LawyerInputs;
        if (!same)
        {
            _estimates = new QueueEstimates(LawyerViews(now, aht), aht);
            _estimatedAt = now;
            _estimatedAht = aht;
            _estimatedInputs = index.LawyerInputs;
        }
        var changed = _changedNodes;
        changed.Clear();
        // The lists to look at, from the first rank that may have changed, merged into queue order (the order the
        // changes are returned in): O(log categories) per entry looked at.
        var cursors = _cursors;
        cursors.Clear();
        if (same)
        {
            foreach (var (list, from) in _touched)
                if (from < list.Count) cursors.Enqueue((list, from), list[from]);
        }
        else
        {
            foreach (var (_, list) in index.Positions.Lists)
                if (list.Count > 0) cursors.Enqueue((list, 0), list[0]);
        }
        while (cursors.TryDequeue(out var at, out var n))
        {
            var (list, i) = at;
            Visit(n, i + 1, index, now, changed, reset);
            if (++i < list.Count) cursors.Enqueue((list, i), list[i]);
        }
        if (reset && _pushed.Count != index.WaitingCount)
        {
            // After a restart or a carried-over record: anything recorded for an entry that does not wait is forgotten.
            foreach (var id in _pushed.Keys.Where(k => !index.IsWaiting(k)).ToList()) _pushed.Remove(id);
        }
        if (changed.Count == 0) return null;
        var result = new List<QueuePosition>(changed.Count);
        foreach (var n in changed) result.Add(n.Pushed!);
        changed.Clear();
        return new QueuePositionsChanged(result);
    }

    /// <summary>Computes one filed entry's position and estimate; records and collects it when it differs from what was pushed.</summary>
    private void Visit(PositionNode n, int pos, RoutingIndex index, DateTimeOffset now, List<PositionNode> changed, bool reload)
    {
        var e = n.Entry;
        // A node filed since the last flush (or all of them after a reset) takes the record of its entry.
        if (reload || n.Pushed is null) n.Pushed = _pushed.GetValueOrDefault(n.Id);
        var estimator = _estimates!.For(e, index.RulesAt(e, now));
        var wait = estimator.Estimate(pos);
        if (n.Pushed is { } old && old.Position == pos && old.EstimatedWaitSeconds == wait && old.LawyersOnline == estimator.LawyersOnline) return;
        var p = new QueuePosition(n.Id, pos, wait, estimator.LawyersOnline);
        n.Pushed = p;
        _pushed[n.Id] = p;
        changed.Add(n);
    }

    /// <summary>Takes over the positions <paramref name="previous"/> pushed (an engine replacing another over the same state, e.g. after a snapshot), so they are not all pushed again.</summary>
    public void CarryPositionsFrom(RoutingEngine previous)
    {
        ArgumentNullException.ThrowIfNull(previous);
        _pushed = new Dictionary<string, QueuePosition>(previous._pushed, StringComparer.Ordinal);
        _positionsDirty = previous._positionsDirty;
        _pushedReplaced = true;
    }

    /// <summary>Mean of recent handle times, else the configured default.</summary>
    public double AverageHandleSeconds() =>
        State.RecentHandleSeconds.Count > 0 ? State.RecentHandleSeconds.Average() : Options.DefaultHandleSeconds;

    /// <summary>
    /// Every lawyer online with a capacity, with the time until each slot frees up (an open offer counts as a consultation
    /// about to start: a full handle time).
    /// </summary>
    private List<LawyerView> LawyerViews(DateTimeOffset now, double aht)
    {
        var views = new List<LawyerView>();
        foreach (var l in State.Lawyers.Values)
        {
            if (!RoutingPolicy.IsOnline(l) || l.Capacity <= 0) continue;
            var remaining = new List<double>(l.Active.Count);
            var phoneActive = false;
            foreach (var (id, channel) in l.Active)
            {
                phoneActive |= channel == Channel.Phone;
                var elapsed = State.ActiveEntries.TryGetValue(id, out var a) && a.AssignedAt is { } at ? Math.Max(0, (now - at).TotalSeconds) : 0;
                remaining.Add(WaitEstimator.ExpectedRemaining(elapsed, State.RecentHandleSeconds, aht));
            }
            for (var i = _index!.OfferCount(l.LawyerId); i > 0; i--) remaining.Add(aht);
            var freeOfAll = remaining.Count == 0 ? 0 : remaining.Max();
            remaining.Sort();
            var chat = new double[l.Capacity];
            for (var i = 0; i < l.Capacity; i++) chat[i] = i < l.Capacity - remaining.Count ? 0 : remaining[i - (l.Capacity - remaining.Count)];
            views.Add(new LawyerView(l, chat, freeOfAll, phoneActive));
        }
        return views;
    }

    /// <summary>The effects list of the command now running: one list reused by every command (a command's result gets an
    /// array of exactly its effects, or the shared empty result), so a command allocates nothing for effects it does not have.</summary>
    private List<RoutingEffect> NewEffects()
    {
        _effects.Clear();
        return _effects;
    }

    private RoutingResult Finish(List<RoutingEffect> effects, DateTimeOffset now)
    {
        Lapse(now);
        Match(now, effects);
        _positionsDirty = true;
        var result = effects.Count == 0 ? RoutingResult.None : new RoutingResult(effects.ToArray());
        effects.Clear();
        return result;
    }

    /// <summary>Drops exclusions past their limit; lapses named-lawyer preferences that are overdue or whose lawyer is offline,
    /// unknown or conflicted (an outstanding offer to that lawyer keeps the preference until it ends); brings widening
    /// levels up to <paramref name="now"/>. Only what is due or was flagged is looked at.</summary>
    private void Lapse(DateTimeOffset now)
    {
        var index = Index(now);
        foreach (var e in index.Advance(now))
        {
            if (e.PreferredLawyerId is { } preferred && e.OfferedTo is null
                && (e.PreferenceExpiresAt is { } until && until <= now
                    || !State.Lawyers.TryGetValue(preferred, out var l) || l.Status == LawyerStatus.Offline || !l.Connected
                    || RoutingPolicy.IsConflicted(e, l)))
            {
                index.Untrack(e);
                e.PreferredLawyerId = null;
                e.PreferenceExpiresAt = null;
                index.Track(e, now);
            }
        }
        index.Widen(now);
    }

    /// <summary>
    /// The one pass in queue order (see the class remarks), driven by the lawyers with room: the heads of all of them are
    /// merged in queue order; the smallest is the next entry the pass acts on, and the lawyers whose head it is are exactly
    /// its candidates. After an offer (or a reservation) the candidates still in the pass look up their next head.
    /// </summary>
    /// <remarks>
    /// After a pass, a lawyer with room who is not reserved has no eligible entry left (else the pass would have acted on
    /// it). So only three kinds of lawyers can have a head now: those whose own situation changed (<see
    /// cref="RoutingIndex.DirtyLawyers"/>) and the reserved ones, whose head is looked up in full; and the others matching an
    /// entry that became eligible for more lawyers (<see cref="RoutingIndex.DirtyEntries"/>), whose head can only be among
    /// those entries. Everyone else is left out: they would take no part in the pass.
    /// </remarks>
    private void Match(DateTimeOffset now, List<RoutingEffect> effects)
    {
        var index = Index(now);
        if (index.WaitingCount == 0 || index.Free.Count == 0)
        {
            index.FileFree();
            ClearHolds();
            index.DirtyLawyers.Clear();
            index.DirtyEntries.Clear();
            index.LeftFree.Clear();
            index.LeftWaiting.Clear();
            return;
        }
        _matchAt = now;
        _exclusionsApply.Clear();
        _excluded ??= Excluded;

        var full = _full;
        full.Clear();
        foreach (var l in index.DirtyLawyers)
            if (index.Free.Contains(l)) full.Add(l);
        var fresh = _fresh;
        fresh.Clear();
        foreach (var e in index.DirtyEntries) fresh.Add(e);
        fresh.Sort(RoutingPolicy.QueueOrder);
        foreach (var l in index.LeftFree) Unhold(l);
        foreach (var l in full) Unhold(l);
        // A hold lasts while its call still waits unchanged: otherwise its lawyers look up their heads in full. A call that
        // changed left the waiting entries (offered, taken, removed, requeued) or is fresh, so only those are looked at.
        var calls = _calls;
        calls.Clear();
        if (_heldCalls.Count > 0)
        {
            foreach (var e in index.LeftWaiting)
                if (_held.ContainsKey(e)) calls.Add(e);
            foreach (var e in fresh)
                if (_held.ContainsKey(e) && !index.LeftWaiting.Contains(e)) calls.Add(e);
        }
        index.DirtyLawyers.Clear();
        index.DirtyEntries.Clear();
        index.LeftFree.Clear();
        index.LeftWaiting.Clear();
        var lawyers = _lawyers;
        foreach (var call in calls)
        {
            lawyers.Clear();
            foreach (var l in _held[call]) lawyers.Add(l);
            foreach (var l in lawyers)
            {
                Unhold(l);
                full.Add(l);
            }
        }
        var heads = _heads;
        heads.Clear();
        var clean = _clean;
        clean.Clear();
        foreach (var e in fresh)
        {
            lawyers.Clear();
            index.FreeFor(e, lawyers);
            foreach (var l in lawyers)
            {
                if (full.Contains(l) || !clean.Add(l)) continue;
                if (_heldFor.TryGetValue(l, out var call))
                {
                    // Held for a call: only a fresh entry before that call changes its head.
                    if (FreshHead(l, call) is { } head)
                    {
                        Unhold(l);
                        full.Add(l); // after this head, everything it may take counts again
                        heads.Enqueue(l, head);
                    }
                }
                else if (FreshHead(l, null) is { } head) heads.Enqueue(l, head);
            }
        }
        foreach (var l in full)
            if (!clean.Contains(l) && index.Head(l, _excluded) is { } head) heads.Enqueue(l, head);

        // The calls lawyers are still held for need no visit of their own: their lawyers have no room for the call (nothing
        // about them changed) and no other head before it (nothing before it changed for them), so such a call only acts when
        // it is the head of lawyers in the pass, and then it comes up among the heads (its group joins or is let go below).
        var candidates = _candidates;
        while (heads.TryPeek(out _, out var e))
        {
            candidates.Clear();
            while (heads.TryPeek(out var other, out var h) && ReferenceEquals(h, e))
            {
                heads.Dequeue();
                candidates.Add(other);
            }
            LawyerSlot? best = null;
            var bestLoad = default(LawyerLoad);
            foreach (var l in candidates)
            {
                var load = index.LoadOf(l);
                // Only a call can fail here (every lawyer in the pass has room for a chat): such a lawyer is held for it.
                if (!load.HasRoomFor(e.Channel, l.Capacity)) continue;
                if (best is null || RoutingPolicy.CompareCandidates(l, load, best, bestLoad) < 0) (best, bestLoad) = (l, load);
            }
            if (best is null)
            {
                // Nobody free of other work for the call: everyone eligible for it is reserved and leaves the pass.
                foreach (var l in candidates) Hold(l, e);
                continue;
            }
            e.OfferedTo = best.LawyerId;
            e.OfferExpiresAt = now.AddSeconds(Options.OfferTimeoutSeconds);
            index.SetOffer(e, best);
            effects.Add(new OfferMade(e.ConsultationId, best.LawyerId, e.OfferExpiresAt.Value));
            OffersMade++;
            if (_held.Remove(e, out var group))
            {
                _heldCalls.Remove(e);
                foreach (var l in group)
                {
                    // The call went to someone free of work: the lawyers held for it go on to their next head.
                    _heldFor.Remove(l);
                    _reserved.Remove(l.LawyerId);
                    full.Add(l);
                    candidates.Add(l);
                }
                group.Clear();
                _spareGroups.Push(group);
            }
            foreach (var l in candidates)
            {
                if (ReferenceEquals(l, best) && !index.Free.Contains(l)) continue; // full now
                if (HeadOf(l) is { } next) heads.Enqueue(l, next);
            }
        }
        // Offers made in the pass re-filed their lawyers: nothing about them is new for the next command, and the entries they
        // took had no lawyer held for them left (their groups were let go above).
        index.FileFree();
        index.DirtyLawyers.Clear();
        index.DirtyEntries.Clear();
        index.LeftFree.Clear();
        index.LeftWaiting.Clear();
    }

    /// <summary>Whether the lawyer's exclusion from the entry is in force at the pass's time (within its limit, and the
    /// entry's exclusions apply: worked out once per entry and pass).</summary>
    private bool Excluded(QueueEntry e, LawyerSlot l)
    {
        if (!RoutingPolicy.IsExclusionCurrent(e, l.LawyerId, _matchAt, Options)) return false;
        if (!_exclusionsApply.TryGetValue(e, out var apply))
            _exclusionsApply[e] = apply = RoutingPolicy.ExclusionsApply(e, State.Lawyers.Values, _index!.RulesOf(e), _matchAt, Options);
        return apply;
    }

    /// <summary>Levels are current in a pass (Lapse ran): the index's rules are RoutingPolicy.RulesAt(e, now), without allocating.</summary>
    private bool Eligible(QueueEntry e, LawyerSlot l) => RoutingPolicy.MatchesProfile(e, l, _index!.RulesOf(e)) && !Excluded(e, l);

    /// <summary>A lawyer left clean can only take one of the pass's fresh entries: its head is the first of them it is eligible
    /// for; with <paramref name="before"/> (the call it is held for), only one before that counts (the fresh entries are in
    /// queue order, so the walk stops there).</summary>
    private QueueEntry? FreshHead(LawyerSlot l, QueueEntry? before)
    {
        foreach (var e in _fresh)
        {
            if (before is not null && RoutingPolicy.CompareQueueOrder(e, before) >= 0) return null;
            if (e.OfferedTo is null && Eligible(e, l) && State.Queue.ContainsKey(e.ConsultationId)) return e;
        }
        return null;
    }

    private QueueEntry? HeadOf(LawyerSlot l) => _full.Contains(l) ? _index!.Head(l, _excluded!) : FreshHead(l, null);

    private void Hold(LawyerSlot l, QueueEntry call)
    {
        if (!_held.TryGetValue(call, out var group))
        {
            _held[call] = group = _spareGroups.TryPop(out var spare) ? spare : new DenseSet<LawyerSlot>();
            _heldCalls.Add(call);
        }
        group.Add(l);
        _heldFor[l] = call;
        _reserved.Add(l.LawyerId);
    }

    private void Unhold(LawyerSlot l)
    {
        if (!_heldFor.Remove(l, out var call)) return;
        _reserved.Remove(l.LawyerId);
        if (_held.TryGetValue(call, out var group) && group.Remove(l) && group.Count == 0)
        {
            _held.Remove(call);
            _heldCalls.Remove(call);
            _spareGroups.Push(group);
        }
    }

    private void ClearHolds()
    {
        foreach (var group in _held.Values)
        {
            group.Clear();
            _spareGroups.Push(group);
        }
        _held.Clear();
        _heldCalls.Clear();
        _heldFor.Clear();
        _reserved.Clear();
    }

    /// <summary>Drops offers to <paramref name="lawyer"/> that no longer fit its profile, status or capacity (after an upsert).</summary>
    private void RevalidateOffers(LawyerSlot lawyer, DateTimeOffset now, List<RoutingEffect> effects)
    {
        var offers = Index(now).OffersTo(lawyer.LawyerId);
        if (offers.Count == 0) return;
        var phone = false;
        foreach (var ch in lawyer.Active.Values) phone |= ch == Channel.Phone;
        var load = new LawyerLoad(lawyer.Active.Count, phone);
        foreach (var e in offers)
        {
            var rules = RoutingPolicy.RulesAt(e, now, Options);
            if (load.HasRoomFor(e.Channel, lawyer.Capacity)
                && RoutingPolicy.MatchesIgnoringCapacity(e, lawyer, rules, now, Options, RoutingPolicy.ExclusionsApply(e, State.Lawyers.Values, rules, now, Options)))
                load = load.Add(e.Channel);
            else
                Revoke(e, OfferRevokeReason.Cancelled, effects, now);
        }
        TouchIdle(lawyer.LawyerId, now);
    }

    private void RevokeAllOffersTo(string lawyerId, OfferRevokeReason reason, List<RoutingEffect> effects, DateTimeOffset now)
    {
        foreach (var e in Index(now).OffersTo(lawyerId)) Revoke(e, reason, effects, now);
    }

    /// <summary>Withdraws the entry's offer; the entry waits again (indexed as of <paramref name="now"/>).</summary>
    private void Revoke(QueueEntry e, OfferRevokeReason reason, List<RoutingEffect> effects, DateTimeOffset now)
    {
        var index = Index(now);
        var lawyerId = e.OfferedTo!;
        index.ClearOffer(e);
        e.OfferedTo = null;
        e.OfferExpiresAt = null;
        index.Track(e, now);
        effects.Add(new OfferWithdrawn(e.ConsultationId, lawyerId, reason));
    }

    /// <summary>Pass this lawyer over for waiting <paramref name="e"/> for a while from <paramref name="since"/>; a preferred lawyer who refuses lifts the preference.</summary>
    private void Exclude(QueueEntry e, string lawyerId, DateTimeOffset since, DateTimeOffset now)
    {
        var index = Index(now);
        index.SetExclusion(e, lawyerId, since);
        if (!string.Equals(e.PreferredLawyerId, lawyerId, StringComparison.Ordinal)) return;
        index.Untrack(e);
        e.PreferredLawyerId = null;
        e.PreferenceExpiresAt = null;
        index.Track(e, now);
    }

    /// <summary>A lawyer just lost an offer or an active consultation: if nothing is left, idle from now.</summary>
    private void TouchIdle(string lawyerId, DateTimeOffset now)
    {
        if (State.Lawyers.TryGetValue(lawyerId, out var l) && l.Active.Count == 0 && Index(now).LoadOf(l).Count == 0)
            l.IdleSince = now;
    }

    private bool Exists(string id, DateTimeOffset now) =>
        State.Queue.ContainsKey(id) || State.ActiveEntries.ContainsKey(id) || Index(now).ActiveOwner(id) is not null;

    private LawyerSlot? FindActiveLawyer(string id, DateTimeOffset now)
    {
        if (State.ActiveEntries.TryGetValue(id, out var e) && e.AssignedTo is { } to && State.Lawyers.TryGetValue(to, out var l) && l.Active.ContainsKey(id))
            return l;
        return Index(now).ActiveOwner(id) is { } owner && owner.Active.ContainsKey(id) ? owner : null;
    }
}

