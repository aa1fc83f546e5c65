namespace Hotline.Domain;

/// <summary>The requirements in force for one queued consultation at one moment (after widening).</summary>
/// <param name="RequireCategory">The lawyer must have the category skill.</param>
/// <param name="AnyDialect">Any dialect will do.</param>
/// <param name="AlsoDialects">Dialects accepted besides the consultation's own.</param>
/// <param name="StepsInForce">How many widening steps apply (0 = exact match only).</param>
public sealed record WideningRules(bool RequireCategory, bool AnyDialect, IReadOnlyCollection<string> AlsoDialects, int StepsInForce)
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
/// The pure routing rules: eligibility, widening, queue order and candidate order. <see cref="RoutingEngine"/> applies them;
/// tests check the engine's decisions against them.
/// </summary>
/// <remarks>
/// <para><b>Eligibility</b> of a queue entry for a lawyer at time <c>now</c>: status Available and connected; free capacity
/// (see <see cref="LawyerLoad.HasRoomFor"/>); not in <see cref="QueueEntry.DeclinedBy"/>; when
/// <see cref="QueueEntry.PreferredLawyerId"/> is set, only that lawyer, and then skill and dialect are not checked (a transfer
/// to a named colleague is an explicit choice); otherwise category skill and dialect per the <see cref="WideningRules"/> in
/// force (<see cref="RulesAt"/>).</para>
/// <para><b>Queue order</b>: Priority desc, QueuedAt asc, Sequence asc, ConsultationId (ordinal).</para>
/// <para><b>Candidate order</b>: lowest load <i>ratio</i> first (effective load / capacity, compared exactly by
/// cross-multiplication, so a 1-of-3 lawyer goes before a 1-of-2 lawyer), then longest idle (IdleSince asc), then LawyerId (ordinal).</para>
/// <para>String comparisons (categories, dialects, ids) are ordinal: callers normalise (e.g. lower-case) them.</para>
/// </remarks>
public static class RoutingPolicy
{
    /// <summary>The widening rules in force for <paramref name="entry"/> at <paramref name="now"/>: step 0 plus every step whose
    /// AfterSeconds &lt;= age. Steps only relax (cumulative), whatever order they are configured in.</summary>
    public static WideningRules RulesAt(QueueEntry entry, DateTimeOffset now, RoutingOptions options)
    {
        var age = (now - entry.QueuedAt).TotalSeconds;
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
        return steps == 0 ? WideningRules.Exact : new WideningRules(requireCategory, anyDialect, (IReadOnlyCollection<string>?)also ?? [], steps);
    }

    /// <summary>The next moment after <paramref name="now"/> at which a widening step comes into force for the entry, if any.</summary>
    public static DateTimeOffset? NextWideningAt(QueueEntry entry, DateTimeOffset now, RoutingOptions options)
    {
        DateTimeOffset? next = null;
        foreach (var step in options.Widening)
        {
            var at = entry.QueuedAt.AddSeconds(step.AfterSeconds);
            if (at > now && (next is null || at < next)) next = at;
        }
        return next;
    }

    /// <summary>Whether the lawyer's skills and dialects satisfy the entry under <paramref name="rules"/> (ignores status, capacity, declines, preference).</summary>
    public static bool MatchesSkills(QueueEntry entry, LawyerSlot lawyer, WideningRules rules)
    {
        if (rules.RequireCategory && !lawyer.Skills.Contains(entry.Category)) return false;
        if (rules.AnyDialect || lawyer.Dialects.Contains(entry.Dialect)) return true;
        foreach (var d in rules.AlsoDialects)
            if (lawyer.Dialects.Contains(d)) return true;
        return false;
    }

    /// <summary>Whether the lawyer is available to receive offers at all (status Available and connected).</summary>
    public static bool IsOnline(LawyerSlot lawyer) => lawyer.Status == LawyerStatus.Available && lawyer.Connected;

    /// <summary>
    /// Everything but capacity: online, not declined, preference, skills and dialect. An outstanding offer must keep
    /// satisfying this (the engine revokes offers that stop satisfying it when a lawyer changes).
    /// </summary>
    public static bool MatchesIgnoringCapacity(QueueEntry entry, LawyerSlot lawyer, WideningRules rules)
    {
        if (!IsOnline(lawyer)) return false;
        if (entry.DeclinedBy.Contains(lawyer.LawyerId)) return false;
        if (entry.PreferredLawyerId is { } preferred) return string.Equals(preferred, lawyer.LawyerId, StringComparison.Ordinal);
        return MatchesSkills(entry, lawyer, rules);
    }

    /// <summary>Full eligibility of a waiting entry for a lawyer whose current load is <paramref name="load"/>.</summary>
    public static bool IsEligible(QueueEntry entry, LawyerSlot lawyer, LawyerLoad load, DateTimeOffset now, RoutingOptions options) =>
        load.HasRoomFor(entry.Channel, lawyer.Capacity) && MatchesIgnoringCapacity(entry, lawyer, RulesAt(entry, now, options));

    /// <summary>Full eligibility, computing the lawyer's load from <paramref name="state"/> (O(queue); for tests and one-off checks).</summary>
    public static bool IsEligible(QueueEntry entry, LawyerSlot lawyer, RouterState state, DateTimeOffset now, RoutingOptions options) =>
        IsEligible(entry, lawyer, LoadOf(lawyer, state), now, options);

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
    public static int CompareQueueOrder(QueueEntry a, QueueEntry b)
    {
        var c = b.Priority.CompareTo(a.Priority);
        if (c != 0) return c;
        c = a.QueuedAt.CompareTo(b.QueuedAt);
        if (c != 0) return c;
        c = a.Sequence.CompareTo(b.Sequence);
        return c != 0 ? c : string.CompareOrdinal(a.ConsultationId, b.ConsultationId);
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

    /// <summary>The best eligible lawyer for <paramref name="entry"/> among <paramref name="lawyers"/>, or null.</summary>
    public static LawyerSlot? BestCandidate(QueueEntry entry, IEnumerable<LawyerSlot> lawyers, IReadOnlyDictionary<string, LawyerLoad> loads,
        DateTimeOffset now, RoutingOptions options)
    {
        var rules = RulesAt(entry, now, options);
        LawyerSlot? best = null;
        var bestLoad = default(LawyerLoad);
        foreach (var l in lawyers)
        {
            var load = loads.TryGetValue(l.LawyerId, out var x) ? x : default;
            if (!load.HasRoomFor(entry.Channel, l.Capacity) || !MatchesIgnoringCapacity(entry, l, rules)) continue;
            if (best is null || CompareCandidates(l, load, best, bestLoad) < 0) (best, bestLoad) = (l, load);
        }
        return best;
    }
}
