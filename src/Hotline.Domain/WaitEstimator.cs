namespace Hotline.Domain;

/// <summary>
/// Estimated wait of the consultations waiting for one group of eligible lawyers: every lawyer contributes its free
/// slots (free now) and its busy slots (free after the expected remaining time of the chat in progress); the waiting
/// consultations ahead take the slots in the order they free up, each for an average handle time.
/// </summary>
/// <remarks>
/// A phone call needs a lawyer with nothing else on (it fills the lawyer), so for a phone call each lawyer is one slot
/// that frees when its last consultation ends. The remaining time of a chat in progress is the mean excess of the recent
/// handle times over its elapsed time (<see cref="ExpectedRemaining"/>): close to the mean for memoryless handle times,
/// "mean minus elapsed" for regular ones. With no eligible lawyer online there is no estimate (null), never an invented one.
/// </remarks>
public sealed class WaitEstimator
{
    private readonly PriorityQueue<double, double> _slots = new();
    private readonly List<double> _starts = [];
    private readonly double _handleSeconds;

    /// <param name="slotFreeInSeconds">For every slot of an eligible online lawyer: seconds until it is free (0 when free now).</param>
    /// <param name="lawyersOnline">Eligible lawyers online.</param>
    /// <param name="handleSeconds">Average handle time of the consultations ahead.</param>
    public WaitEstimator(IEnumerable<double> slotFreeInSeconds, int lawyersOnline, double handleSeconds)
    {
        foreach (var s in slotFreeInSeconds) _slots.Enqueue(Math.Max(0, s), Math.Max(0, s));
        LawyersOnline = lawyersOnline;
        _handleSeconds = Math.Max(1, handleSeconds);
    }

    /// <summary>Eligible lawyers online.</summary>
    public int LawyersOnline { get; }

    /// <summary>Seconds until the consultation at <paramref name="position"/> (1-based) is expected to be offered; null without slots.</summary>
    public int? Estimate(int position)
    {
        if (LawyersOnline == 0 || _slots.Count == 0 || position < 1) return null;
        while (_starts.Count < position)
        {
            var t = _slots.Dequeue();
            _starts.Add(t);
            _slots.Enqueue(t + _handleSeconds, t + _handleSeconds);
        }
        return (int)Math.Min(int.MaxValue, Math.Ceiling(_starts[position - 1]));
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
