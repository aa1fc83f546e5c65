namespace Hotline.Domain;

/// <summary>The requirements in force for one queued consultation at one moment (after widening).</summary>
/// <param name="RequireCategory">The lawyer must have the category skill.</param>
/// <param name="AnyDialect">Any dialect will do.</param>
/// <param name="AlsoDialects">Dialects accepted besides the consultation's own.</param>
/// <param name="StepsInForce">How many widening steps apply (0 = exact match only).</param>
public sealed record WideningRules(bool RequireCategory, bool AnyDialect, IReadOnlyList<string> AlsoDialects, int StepsInForce)
{
    /// <summary>Step 0: exact category and exact dialect.</summary>
    public static WideningRules Exact { get; } = new(true, false, [], 0);
}

/// <summary>How busy a lawyer is: active consultations plus outstanding offers, and whether one of them is a phone call.</summary>
/// <param name="Count">Active consultations plus outstanding offers.</param>
/// <param name="Phone">An active or offered phone call (which fills the lawyer).</param>
public readonly record struct LawyerLoad(int Count, bool Phone)
{
    /// <summary>Load counted against capacity: a phone call counts as the full capacity.</summary>
    public int Effective(int capacity) => Phone ? Math.Max(capacity, Count) : Count;

    /// <summary>Whether a consultation on <paramref name="channel"/> still fits: a phone call needs a lawyer with load 0.</summary>
    public bool HasRoomFor(Channel channel, int capacity) =>
        capacity > 0 && !Phone && (channel == Channel.Phone ? Count == 0 : Count < capacity);

    /// <summary>This load plus one more consultation on <paramref name="channel"/>.</summary>
    public LawyerLoad Add(Channel channel) => new(Count + 1, Phone || channel == Channel.Phone);
}

/// <summary>
/// The pure routing rules: eligibility, exclusions, widening, queue order and candidate order. <see cref="RoutingEngine"/>
/// applies them; tests check the engine's decisions against them (and against an independent reference model).
/// </summary>
/// <remarks>
/// <para><b>Profile match</b> of a queue entry for a lawyer (<see cref="MatchesProfile"/>): no conflict of interest with the
/// entry's employer (<see cref="QueueEntry.EmployerKey"/> in <see cref="LawyerSlot.Conflicts"/>), whatever else holds; when
/// <see cref="QueueEntry.PreferredLawyerId"/> is set, only that lawyer, and then skill and dialect are not checked (a transfer
/// to a named colleague is an explicit choice); otherwise category skill and dialect per the <see cref="WideningRules"/> in
/// force (<see cref="RulesAt"/>, counted from <see cref="QueueEntry.RoutedSince"/>).</para>
/// <para><b>Exclusions</b>: a lawyer in <see cref="QueueEntry.Exclusions"/> is passed over for
/// <see cref="RoutingOptions.ExclusionSeconds"/> after the exclusion began, and only while the exclusions apply
/// (<see cref="ExclusionsApply"/>): some lawyer who is online (available, connected, capacity &gt; 0), matches the profile
/// and is not excluded exists. So the only lawyer on duty is never kept from a worker by an earlier missed offer.</para>
/// <para><b>Eligibility</b> for an offer: online; profile match; not excluded; free capacity (see
/// <see cref="LawyerLoad.HasRoomFor"/>). <b>Pull</b> (<see cref="CanPull"/>: the lawyer's own queue and claims) needs only
/// the profile match and a capacity above 0: status and exclusions are push-routing signals, a lawyer who asks has changed
/// their mind.</para>
/// <para><b>Queue order</b>: Priority desc, QueuedAt asc, Sequence asc, ConsultationId (ordinal). Age stays measured from
/// the first queueing across requeues (fairness), widening from the last (re)routing.</para>
/// <para><b>Candidate order</b>: lowest load <i>ratio</i> first (effective load / capacity, compared exactly by
/// cross-multiplication, so a 1-of-3 lawyer goes before a 1-of-2 lawyer), then longest idle (IdleSince asc), then LawyerId (ordinal).</para>
/// <para>String comparisons (categories, dialects, ids, employer keys) are ordinal: callers normalise them.</para>
/// </remarks>
public static class RoutingPolicy
{
    /// <summary>When widening starts counting for the entry: <see cref="QueueEntry.RoutedSince"/>, else <see cref="QueueEntry.QueuedAt"/>.</summary>
    public static DateTimeOffset WideningFrom(QueueEntry entry) => entry.RoutedSince == default ? entry.QueuedAt : entry.RoutedSince;

    /// <summary>The widening rules in force for <paramref name="entry"/> at <paramref name="now"/>: step 0 plus every step whose
    /// AfterSeconds &lt;= time since (re)routing. Steps only relax (cumulative), whatever order they are configured in.</summary>
    public static WideningRules RulesAt(QueueEntry entry, DateTimeOffset now, RoutingOptions options)
    {
        var age = (now - WideningFrom(entry)).TotalSeconds;
        var requireCategory = true;
        var anyDialect = false;
        List<string>? also = null;
        var steps = 0;
        foreach (var step in options.Widening)
        {
            if (step.AfterSeconds > age) continue;
            steps++;
            requireCategory &= step.RequireCategory;
            anyDialect |= step.AnyDialect;
            if (step.AlsoDialects.Count > 0) (also ??= []).AddRange(step.AlsoDialects);
        }
        return steps == 0 ? WideningRules.Exact : new WideningRules(requireCategory, anyDialect, (IReadOnlyList<string>?)also ?? [], steps);
    }

    /// <summary>The next moment after <paramref name="now"/> at which a widening step comes into force for the entry, if any.</summary>
    public static DateTimeOffset? NextWideningAt(QueueEntry entry, DateTimeOffset now, RoutingOptions options)
    {
        DateTimeOffset? next = null;
        var from = WideningFrom(entry);
        foreach (var step in options.Widening)
        {
            var at = from.AddSeconds(step.AfterSeconds);
            if (at > now && (next is null || at < next)) next = at;
        }
        return next;
    }

    /// <summary>Whether the lawyer's skills and dialects satisfy the entry under <paramref name="rules"/> (ignores everything else).</summary>
    public static bool MatchesSkills(QueueEntry entry, LawyerSlot lawyer, WideningRules rules)
    {
        if (rules.RequireCategory && !lawyer.Skills.Contains(entry.Category)) return false;
        return rules.AnyDialect || lawyer.Dialects.Contains(entry.Dialect) || AnyIn(rules.AlsoDialects, lawyer.Dialects);
    }

    /// <summary>Whether one of <paramref name="items"/> is in <paramref name="set"/>; by index when it is a list (matching asks
    /// this per entry and lawyer, and a foreach over the interface allocates an enumerator each time).</summary>
    internal static bool AnyIn(IReadOnlyCollection<string> items, HashSet<string> set)
    {
        if (items.Count == 0) return false;
        if (items is IReadOnlyList<string> list)
        {
            for (var i = 0; i < list.Count; i++)
                if (set.Contains(list[i])) return true;
            return false;
        }
        foreach (var d in items)
            if (set.Contains(d)) return true;
        return false;
    }

    /// <summary>Whether the lawyer has a conflict of interest with the entry's employer (<see cref="EmployerName.Conflicts"/>: a conflict naming no place covers every city).</summary>
    public static bool IsConflicted(QueueEntry entry, LawyerSlot lawyer) =>
        entry.EmployerKey is { } key && EmployerName.Conflicts(key, lawyer.Conflicts);

    /// <summary>No conflict, then the named lawyer only (when preferred) or skills and dialect under <paramref name="rules"/>.</summary>
    public static bool MatchesProfile(QueueEntry entry, LawyerSlot lawyer, WideningRules rules)
    {
        if (IsConflicted(entry, lawyer)) return false;
        if (entry.PreferredLawyerId is { } preferred) return string.Equals(preferred, lawyer.LawyerId, StringComparison.Ordinal);
        return MatchesSkills(entry, lawyer, rules);
    }

    /// <summary>Whether the lawyer is available to receive offers at all (status Available and connected).</summary>
    public static bool IsOnline(LawyerSlot lawyer) => lawyer.Status == LawyerStatus.Available && lawyer.Connected;

    /// <summary>When an exclusion that began at <paramref name="since"/> ends.</summary>
    public static DateTimeOffset ExclusionEndsAt(DateTimeOffset since, RoutingOptions options) => since.AddSeconds(options.ExclusionSeconds);

    /// <summary>Whether the lawyer's exclusion from the entry is still within its time limit (whether it applies is <see cref="ExclusionsApply"/>).</summary>
    public static bool IsExclusionCurrent(QueueEntry entry, string lawyerId, DateTimeOffset now, RoutingOptions options) =>
        entry.TryGetExclusion(lawyerId, out var since) && ExclusionEndsAt(since, options) > now;

    /// <summary>
    /// Whether the entry's exclusions are in force: some lawyer online with a capacity, matching its profile and not
    /// excluded exists (an excluded lawyer is passed over only when someone else could take it). O(lawyers) when the entry
    /// has exclusions, O(1) otherwise.
    /// </summary>
    public static bool ExclusionsApply(QueueEntry entry, IEnumerable<LawyerSlot> lawyers, WideningRules rules, DateTimeOffset now, RoutingOptions options)
    {
        if (!entry.HasExclusions) return false;
        foreach (var l in lawyers)
            if (IsOnline(l) && l.Capacity > 0 && MatchesProfile(entry, l, rules) && !IsExclusionCurrent(entry, l.LawyerId, now, options))
                return true;
        return false;
    }

    /// <summary>
    /// Everything but capacity: online, profile, and not excluded (when <paramref name="exclusionsApply"/>). An outstanding
    /// offer must keep satisfying this (the engine revokes offers that stop satisfying it when a lawyer changes).
    /// </summary>
    public static bool MatchesIgnoringCapacity(QueueEntry entry, LawyerSlot lawyer, WideningRules rules, DateTimeOffset now,
        RoutingOptions options, bool exclusionsApply) =>
        IsOnline(lawyer) && MatchesProfile(entry, lawyer, rules)
        && !(exclusionsApply && IsExclusionCurrent(entry, lawyer.LawyerId, now, options));

    /// <summary>Full eligibility of a waiting entry for a lawyer whose current load is <paramref name="load"/>.</summary>
    /// <param name="exclusionsApply">See <see cref="ExclusionsApply"/> (it depends on the other lawyers).</param>
    public static bool IsEligible(QueueEntry entry, LawyerSlot lawyer, LawyerLoad load, DateTimeOffset now, RoutingOptions options, bool exclusionsApply = true) =>
        load.HasRoomFor(entry.Channel, lawyer.Capacity)
        && MatchesIgnoringCapacity(entry, lawyer, RulesAt(entry, now, options), now, options, exclusionsApply);

    /// <summary>Full eligibility, computing load and exclusions from <paramref name="state"/> (O(queue + lawyers); for tests and one-off checks).</summary>
    public static bool IsEligible(QueueEntry entry, LawyerSlot lawyer, RouterState state, DateTimeOffset now, RoutingOptions options) =>
        IsEligible(entry, lawyer, LoadOf(lawyer, state), now, options,
            ExclusionsApply(entry, state.Lawyers.Values, RulesAt(entry, now, options), now, options));

    /// <summary>Whether the lawyer may see and claim the entry (pull): capacity above 0 and a profile match under the widening in force.</summary>
    public static bool CanPull(QueueEntry entry, LawyerSlot lawyer, DateTimeOffset now, RoutingOptions options) =>
        lawyer.Capacity > 0 && MatchesProfile(entry, lawyer, RulesAt(entry, now, options));

    /// <summary>The lawyer's load: active consultations plus outstanding offers in the queue.</summary>
    public static LawyerLoad LoadOf(LawyerSlot lawyer, RouterState state)
    {
        var count = lawyer.Active.Count;
        var phone = false;
        foreach (var ch in lawyer.Active.Values) phone |= ch == Channel.Phone;
        foreach (var e in state.Queue.Values)
        {
            if (!string.Equals(e.OfferedTo, lawyer.LawyerId, StringComparison.Ordinal)) continue;
            count++;
            phone |= e.Channel == Channel.Phone;
        }
        return new LawyerLoad(count, phone);
    }

    /// <summary>Loads of all lawyers in one pass over the queue.</summary>
    public static Dictionary<string, LawyerLoad> Loads(RouterState state)
    {
        var loads = new Dictionary<string, LawyerLoad>(state.Lawyers.Count, StringComparer.Ordinal);
        foreach (var l in state.Lawyers.Values)
        {
            var phone = false;
            foreach (var ch in l.Active.Values) phone |= ch == Channel.Phone;
            loads[l.LawyerId] = new LawyerLoad(l.Active.Count, phone);
        }
        foreach (var e in state.Queue.Values)
            if (e.OfferedTo is { } to && loads.TryGetValue(to, out var load)) loads[to] = load.Add(e.Channel);
        return loads;
    }

    /// <summary>Queue order: Priority desc, QueuedAt asc, Sequence asc, then id.</summary>
    public static int CompareQueueOrder(QueueEntry a, QueueEntry b) =>
        CompareQueueKeys(a.Priority, a.QueuedAt.UtcTicks, a.Sequence, a.ConsultationId, b.Priority, b.QueuedAt.UtcTicks, b.Sequence, b.ConsultationId);

    /// <summary><see cref="CompareQueueOrder"/> over the keys themselves (QueuedAt as UTC ticks, which is how DateTimeOffset compares).</summary>
    internal static int CompareQueueKeys(int priorityA, long queuedAtA, long sequenceA, string idA, int priorityB, long queuedAtB, long sequenceB, string idB)
    {
        var c = priorityB.CompareTo(priorityA);
        if (c != 0) return c;
        c = queuedAtA.CompareTo(queuedAtB);
        if (c != 0) return c;
        c = sequenceA.CompareTo(sequenceB);
        return c != 0 ? c : string.CompareOrdinal(idA, idB);
    }

    /// <summary><see cref="CompareQueueOrder"/> as a comparer.</summary>
    public static IComparer<QueueEntry> QueueOrder { get; } = Comparer<QueueEntry>.Create(CompareQueueOrder);

    /// <summary>Candidate order (negative: <paramref name="a"/> is the better candidate): load ratio, then longest idle, then id.</summary>
    public static int CompareCandidates(LawyerSlot a, LawyerLoad loadA, LawyerSlot b, LawyerLoad loadB)
    {
        long capA = Math.Max(1, a.Capacity), capB = Math.Max(1, b.Capacity);
        var c = ((long)loadA.Effective(a.Capacity) * capB).CompareTo((long)loadB.Effective(b.Capacity) * capA);
        if (c != 0) return c;
        c = a.IdleSince.CompareTo(b.IdleSince);
        return c != 0 ? c : string.CompareOrdinal(a.LawyerId, b.LawyerId);
    }
}
