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
/// </remarks>
public sealed class WaitEstimator
{
    private readonly int _free;
    private readonly PriorityQueue<double, double> _rates = new(); // min-heap on -rate: the fastest slot first
    private readonly List<double> _starts = [];
    private readonly double _freshRate;
    private double _totalRate;
    private double _clock;

    /// <param name="slotFreeInSeconds">For every slot of an eligible online lawyer: expected seconds until it is free (0 when free now).</param>
    /// <param name="lawyersOnline">Eligible lawyers online.</param>
    /// <param name="handleSeconds">Average handle time of the consultations ahead.</param>
    public WaitEstimator(IEnumerable<double> slotFreeInSeconds, int lawyersOnline, double handleSeconds)
    {
        _freshRate = 1 / Math.Max(1, handleSeconds);
        foreach (var s in slotFreeInSeconds)
        {
            // A free slot goes to one of the first consultations, which then runs a full handle time.
            if (s <= 0) _free++;
            var rate = s <= 0 ? _freshRate : 1 / s;
            _rates.Enqueue(rate, -rate);
            _totalRate += rate;
        }
        LawyersOnline = lawyersOnline;
    }

    /// <summary>Eligible lawyers online.</summary>
    public int LawyersOnline { get; }

    /// <summary>Seconds until the consultation at <paramref name="position"/> (1-based) is expected to be offered; null without slots.</summary>
    public int? Estimate(int position)
    {
        if (LawyersOnline == 0 || position < 1 || (_free == 0 && _rates.Count == 0)) return null;
        if (position <= _free) return 0;
        var k = position - _free;
        while (_starts.Count < k)
        {
            _clock += 1 / _totalRate;
            _starts.Add(_clock);
            // The slot most likely to have freed takes the next consultation, which runs a full handle time.
            _totalRate += _freshRate - _rates.Dequeue();
            _rates.Enqueue(_freshRate, -_freshRate);
        }
        return (int)Math.Min(int.MaxValue, Math.Ceiling(_starts[k - 1]));
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
