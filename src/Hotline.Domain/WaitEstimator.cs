namespace Hotline.Domain;

/// <summary>
/// Estimated wait of the consultations waiting for one group of eligible lawyers: every lawyer contributes its free
/// slots (free now) and its busy slots, each of which frees at a rate of one over the expected remaining time of the
/// chat in progress; the consultations ahead take slots as they free up, and a slot they take frees again at the rate
/// of one over the average handle time.
/// </summary>
/// <remarks>
/// The k-th slot to free is expected after the sum of 1 / (total rate) over the departures before it, where after each
/// departure the fastest slot is replaced by a fresh consultation (rate 1 / AHT). With memoryless handle times this is
/// exactly k * AHT / slots (Erlang's M/M/N wait of a given position); with regular ones it gives earlier slots to chats
/// that are nearly done. A phone call needs a lawyer with nothing else on, so for a phone call each lawyer is one slot
/// that frees when its last consultation ends. With no eligible lawyer online there is no estimate (null), never an
/// invented one.
/// <para><b>Cost</b>: after a departure the slot that frees next is the fastest one left, and a fresh consultation's rate
/// is the same for all; so only the slots faster than a fresh consultation ever change the total rate (each once, fastest
/// first), and from then on every departure adds the same time. The estimator keeps just those slots, in a heap: building
/// it is O(slots), the k-th estimate O(k) with O(log slots) per fast slot passed. (It used to keep every slot in a priority
/// queue; the figures are the same.)</para>
/// </remarks>
public sealed class WaitEstimator
{
    private readonly int _free;
    private readonly int _slots;
    private readonly double[] _fast; // max-heap of the rates above a fresh consultation's (then, once sorted, descending from _next)
    private int _fastCount;
    private int _pops, _next = -1;
    // Once more fast slots were taken than are left (and at least this many), the rest are sorted once and taken in order:
    // the same rates in the same order as from the heap, at O(1) each. A long queue takes most of them; a short one never
    // pays for a sort.
    internal static int SortAfterPops = 32;
    private readonly double _slowest; // the fastest rate not above a fresh one, which the first departure takes when no slot is free
    private readonly List<double> _starts = new(64);
    private readonly double _freshRate;
    private double _totalRate;
    private double _clock;

    /// <param name="slotFreeInSeconds">For every slot of an eligible online lawyer: expected seconds until it is free (0 when free now).</param>
    /// <param name="lawyersOnline">Eligible lawyers online.</param>
    /// <param name="handleSeconds">Average handle time of the consultations ahead.</param>
    public WaitEstimator(IEnumerable<double> slotFreeInSeconds, int lawyersOnline, double handleSeconds)
        : this(slotFreeInSeconds.ToArray(), lawyersOnline, handleSeconds)
    {
    }

    /// <inheritdoc cref="WaitEstimator(IEnumerable{double}, int, double)"/>
    internal WaitEstimator(ReadOnlySpan<double> slotFreeInSeconds, int lawyersOnline, double handleSeconds)
    {
        _freshRate = 1 / Math.Max(1, handleSeconds);
        var fast = new List<double>();
        _slowest = double.NegativeInfinity;
        foreach (var s in slotFreeInSeconds)
        {
            // A free slot goes to one of the first consultations, which then runs a full handle time.
            if (s <= 0) _free++;
            var rate = s <= 0 ? _freshRate : 1 / s;
            _slots++;
            _totalRate += rate;
            if (rate > _freshRate) fast.Add(rate);
            else if (rate > _slowest) _slowest = rate;
        }
        _fast = [.. fast];
        _fastCount = _fast.Length;
        for (var i = _fastCount / 2 - 1; i >= 0; i--) SiftDown(i);
        LawyersOnline = lawyersOnline;
    }

    /// <summary>Eligible lawyers online.</summary>
    public int LawyersOnline { get; }

    /// <summary>Seconds until the consultation at <paramref name="position"/> (1-based) is expected to be offered; null without slots.</summary>
    public int? Estimate(int position)
    {
        if (LawyersOnline == 0 || position < 1 || _slots == 0) return null;
        if (position <= _free) return 0;
        var k = position - _free;
        while (_starts.Count < k)
        {
            _clock += 1 / _totalRate;
            // The slot most likely to have freed takes the next consultation, which runs a full handle time: the fastest slot
            // left; once only slots no faster than a fresh consultation are left, one of those (the total rate stays).
            if (_fastCount > 0) _totalRate += _freshRate - PopFastest();
            else if (_starts.Count == 0 && _free == 0) _totalRate += _freshRate - _slowest; // nothing fresh yet to take
            else _totalRate += _freshRate - _freshRate;
            _starts.Add(_clock);
        }
        return (int)Math.Min(int.MaxValue, Math.Ceiling(_starts[k - 1]));
    }

    private double PopFastest()
    {
        if (_next < 0 && ++_pops > SortAfterPops && _pops > _fastCount)
        {
            Array.Sort(_fast, 0, _fastCount);
            Array.Reverse(_fast, 0, _fastCount);
            _next = 0;
        }
        if (_next >= 0)
        {
            _fastCount--;
            return _fast[_next++];
        }
        var top = _fast[0];
        _fast[0] = _fast[--_fastCount];
        SiftDown(0);
        return top;
    }

    private void SiftDown(int i)
    {
        while (true)
        {
            int l = 2 * i + 1, r = l + 1, m = i;
            if (l < _fastCount && _fast[l] > _fast[m]) m = l;
            if (r < _fastCount && _fast[r] > _fast[m]) m = r;
            if (m == i) return;
            (_fast[i], _fast[m]) = (_fast[m], _fast[i]);
            i = m;
        }
    }

    /// <summary>
    /// Expected remaining handle time of a chat that has run <paramref name="elapsedSeconds"/>: the mean of (h - elapsed)
    /// over the recent handle times h that exceed it; with fewer than 5 such samples, the average handle time minus the
    /// elapsed time; never below 5 % of the average handle time (a chat still open is not over).
    /// </summary>
    public static double ExpectedRemaining(double elapsedSeconds, IReadOnlyList<double> recentHandleSeconds, double averageHandleSeconds)
    {
        var floor = 0.05 * averageHandleSeconds;
        double sum = 0;
        var n = 0;
        foreach (var h in recentHandleSeconds)
        {
            if (h <= elapsedSeconds) continue;
            sum += h - elapsedSeconds;
            n++;
        }
        var remaining = n >= 5 ? sum / n : averageHandleSeconds - elapsedSeconds;
        return Math.Max(floor, remaining);
    }
}
