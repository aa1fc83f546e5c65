namespace Hotline.Domain;

/// <summary>A lawyer online with a capacity, for wait estimates: when each of its chat slots frees up, and when it is free of everything.</summary>
internal sealed record LawyerView(LawyerSlot Lawyer, double[] ChatSlots, double FreeOfAll, bool PhoneActive);

/// <summary>
/// Queue positions and wait estimates of every waiting entry at once (<see cref="RoutingEngine.ComputePositions"/>), at a
/// cost that does not multiply the queue by the lawyers: O(n) over the queue plus one <see cref="WaitEstimator"/> per
/// group of entries that see the same lawyers.
/// </summary>
/// <remarks>
/// <para>Entries see the same lawyers when their widening rules ask the same of them: the category only while it is
/// required, the dialect only while it matters, the named lawyer if any, the channel (a call needs a lawyer free of
/// everything), and the employer only when one of those lawyers has a conflict with it. So every queue entry past the
/// last widening step (any category, any dialect) shares one estimator per channel, whatever its category.</para>
/// <para>The lawyers of a group are found with bit sets over the lawyers (one per skill and per dialect), in the same
/// order as the lawyers are listed, so the estimator sums the same slots in the same order as one built from a scan:
/// the estimates are the same to the last bit.</para>
/// </remarks>
internal sealed class QueueEstimates
{
    private readonly List<LawyerView> _views;
    private readonly double _aht;
    private readonly int _words;
    private readonly Dictionary<string, ulong[]> _bySkill = new(StringComparer.Ordinal), _byDialect = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _viewOf = new(StringComparer.Ordinal);
    private readonly Dictionary<(string?, string?, int, string?), int[]> _eligible = [];
    // Groups with the same lawyers share one array (at a level where everyone speaks the extra dialect, the dialect makes no difference).
    private readonly Dictionary<int[], int[]> _sameLawyers = new(SameLawyers.Instance);
    private readonly Dictionary<(int[], string), bool> _conflicted = [];
    private readonly Dictionary<(int[], bool, string?), WaitEstimator> _estimators = [];
    private readonly List<double> _slots = [];

    public QueueEstimates(List<LawyerView> views, double averageHandleSeconds)
    {
        _views = views;
        _aht = averageHandleSeconds;
        _words = (views.Count + 63) / 64;
        for (var i = 0; i < views.Count; i++)
        {
            var l = views[i].Lawyer;
            _viewOf[l.LawyerId] = i;
            foreach (var s in l.Skills) Bits(_bySkill, s)[i >> 6] |= 1UL << i;
            foreach (var d in l.Dialects) Bits(_byDialect, d)[i >> 6] |= 1UL << i;
        }
    }

    private ulong[] Bits(Dictionary<string, ulong[]> sets, string key)
    {
        if (!sets.TryGetValue(key, out var bits)) sets[key] = bits = new ulong[_words];
        return bits;
    }

    /// <summary>
    /// The estimator for a waiting entry under <paramref name="rules"/> (the widening in force for it): the same as one over
    /// the lawyers of <paramref name="rules"/> matching the entry's profile (<see cref="RoutingPolicy.MatchesProfile"/>), shared by its group.
    /// </summary>
    public WaitEstimator For(QueueEntry e, WideningRules rules)
    {
        var group = e.PreferredLawyerId is { } preferred
            ? ((string?)null, (string?)null, -1, preferred)
            : (rules.RequireCategory ? e.Category : null, rules.AnyDialect ? null : e.Dialect, rules.StepsInForce, (string?)null);
        if (!_eligible.TryGetValue(group, out var lawyers))
        {
            lawyers = Eligible(e, rules);
            if (!_sameLawyers.TryAdd(lawyers, lawyers)) lawyers = _sameLawyers[lawyers];
            _eligible[group] = lawyers;
        }
        var employer = e.EmployerKey;
        if (employer is not null)
        {
            if (!_conflicted.TryGetValue((lawyers, employer), out var any))
            {
                foreach (var i in lawyers) any |= RoutingPolicy.IsConflicted(e, _views[i].Lawyer);
                _conflicted[(lawyers, employer)] = any;
            }
            if (!any) employer = null; // nobody in the group is conflicted: the same lawyers as without an employer
        }
        var phone = e.Channel == Channel.Phone;
        if (!_estimators.TryGetValue((lawyers, phone, employer), out var estimator))
            _estimators[(lawyers, phone, employer)] = estimator = Build(e, lawyers, phone, employer is not null);
        return estimator;
    }

    /// <summary>The lawyers (indexes into the views, ascending) whose skills and dialects satisfy the entry under the rules, or its named lawyer.</summary>
    private int[] Eligible(QueueEntry e, WideningRules rules)
    {
        if (e.PreferredLawyerId is { } preferred) return _viewOf.TryGetValue(preferred, out var only) ? [only] : [];
        var bits = new ulong[_words];
        Array.Fill(bits, ulong.MaxValue);
        if (rules.RequireCategory) And(bits, _bySkill.GetValueOrDefault(e.Category));
        if (!rules.AnyDialect)
        {
            var dialects = new ulong[_words];
            Or(dialects, _byDialect.GetValueOrDefault(e.Dialect));
            foreach (var d in rules.AlsoDialects) Or(dialects, _byDialect.GetValueOrDefault(d));
            And(bits, dialects);
        }
        var list = new List<int>();
        for (var w = 0; w < _words; w++)
            for (var word = bits[w]; word != 0; word &= word - 1)
            {
                var i = (w << 6) + System.Numerics.BitOperations.TrailingZeroCount(word);
                if (i < _views.Count) list.Add(i);
            }
        return [.. list];
    }

    private static void And(ulong[] bits, ulong[]? other)
    {
        for (var w = 0; w < bits.Length; w++) bits[w] &= other is null ? 0 : other[w];
    }

    private static void Or(ulong[] bits, ulong[]? other)
    {
        if (other is null) return;
        for (var w = 0; w < bits.Length; w++) bits[w] |= other[w];
    }

    private WaitEstimator Build(QueueEntry e, int[] lawyers, bool phone, bool skipConflicted)
    {
        _slots.Clear();
        var count = 0;
        foreach (var i in lawyers)
        {
            var v = _views[i];
            if (skipConflicted && RoutingPolicy.IsConflicted(e, v.Lawyer)) continue;
            count++;
            // A phone call needs the lawyer free of everything; a lawyer on a phone call takes nothing else.
            if (phone || v.PhoneActive) _slots.Add(v.FreeOfAll);
            else _slots.AddRange(v.ChatSlots);
        }
        return new WaitEstimator(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_slots), count, _aht);
    }

    /// <summary>Equal lawyer lists (by content).</summary>
    private sealed class SameLawyers : IEqualityComparer<int[]>
    {
        public static readonly SameLawyers Instance = new();

        public bool Equals(int[]? x, int[]? y) => ReferenceEquals(x, y) || x is not null && y is not null && x.AsSpan().SequenceEqual(y);

        public int GetHashCode(int[] obj)
        {
            var h = new HashCode();
            h.AddBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(obj.AsSpan()));
            return h.ToHashCode();
        }
    }
}
