using System.Diagnostics;
using HdrHistogram;

namespace Hotline.LoadGen;

/// <summary>Monotonic time in the load generator's process (every latency is measured on this one clock).</summary>
internal static class Clock
{
    public static long Now => Stopwatch.GetTimestamp();
    public static double Ms(long from, long to) => (to - from) * 1000.0 / Stopwatch.Frequency;
    public static double Seconds(long from, long to) => (to - from) / (double)Stopwatch.Frequency;
}

/// <summary>A latency histogram (HdrHistogram, microsecond resolution, up to 10 minutes), safe to record into from any thread.</summary>
internal sealed class Latency(string name)
{
    private readonly LongHistogram _h = new(600_000_000L, 3);
    private readonly Lock _gate = new();

    public string Name { get; } = name;
    public long Count { get { lock (_gate) return _h.TotalCount; } }

    public void RecordMs(double ms)
    {
        var us = (long)Math.Round(ms * 1000);
        if (us < 0) us = 0;
        lock (_gate) _h.RecordValue(Math.Min(us, _h.HighestTrackableValue));
    }

    public void Record(long fromTicks, long toTicks) => RecordMs(Clock.Ms(fromTicks, toTicks));

    public double PercentileMs(double p) { lock (_gate) return _h.TotalCount == 0 ? double.NaN : _h.GetValueAtPercentile(p) / 1000.0; }

    /// <summary>All of these windows as one distribution (a percentile over several minutes, not an average of minutes').</summary>
    public static Latency Merge(string name, IEnumerable<Latency> parts)
    {
        var merged = new Latency(name);
        foreach (var part in parts)
            lock (part._gate) merged._h.Add(part._h);
        return merged;
    }

    public LatencySummary Summary()
    {
        lock (_gate)
        {
            if (_h.TotalCount == 0) return new LatencySummary(0, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN);
            return new LatencySummary(_h.TotalCount, _h.GetMean() / 1000.0, _h.GetValueAtPercentile(50) / 1000.0, _h.GetValueAtPercentile(90) / 1000.0,
                _h.GetValueAtPercentile(99) / 1000.0, _h.GetValueAtPercentile(99.9) / 1000.0, _h.GetMaxValue() / 1000.0);
        }
    }
}

/// <summary>Latency percentiles in milliseconds.</summary>
internal sealed record LatencySummary(long Count, double MeanMs, double P50Ms, double P90Ms, double P99Ms, double P999Ms, double MaxMs);

/// <summary>A mean with a 95 % confidence interval from batch means.</summary>
internal sealed record Estimate(double Mean, double Low, double High, int Batches, int Samples)
{
    public double HalfWidth => (High - Low) / 2;
    public override string ToString() => $"{Mean:0.0000} [{Low:0.0000}, {High:0.0000}]";
}

internal static class Statistics
{
    /// <summary>Student t quantile (0.975) for the given degrees of freedom.</summary>
    public static double T975(int df) => df switch
    {
        <= 0 => double.NaN, 1 => 12.706, 2 => 4.303, 3 => 3.182, 4 => 2.776, 5 => 2.571, 6 => 2.447, 7 => 2.365, 8 => 2.306, 9 => 2.262,
        10 => 2.228, <= 12 => 2.179, <= 15 => 2.131, <= 19 => 2.093, <= 24 => 2.064, <= 29 => 2.045, <= 39 => 2.023, <= 59 => 2.001, _ => 1.98,
    };

    /// <summary>Batch means: the samples (in arrival order) cut into <paramref name="batches"/> consecutive batches; the CI uses the spread of the batch means.</summary>
    public static Estimate BatchMeans(IReadOnlyList<double> samples, int batches)
    {
        var n = samples.Count;
        if (n == 0) return new Estimate(double.NaN, double.NaN, double.NaN, 0, 0);
        batches = Math.Max(2, Math.Min(batches, n / 2));
        var size = n / batches;
        var means = new double[batches];
        for (var b = 0; b < batches; b++)
        {
            double s = 0;
            for (var i = b * size; i < (b + 1) * size; i++) s += samples[i];
            means[b] = s / size;
        }
        var mean = means.Average();
        var sd = Math.Sqrt(means.Sum(m => (m - mean) * (m - mean)) / (batches - 1));
        var half = T975(batches - 1) * sd / Math.Sqrt(batches);
        return new Estimate(mean, mean - half, mean + half, batches, size * batches);
    }

    /// <summary>Erlang C: probability of waiting, N servers, A erlangs (A &lt; N).</summary>
    public static double ErlangC(int n, double a)
    {
        if (a >= n) return 1;
        double term = 1, sum = 1; // k = 0
        for (var k = 1; k < n; k++) { term *= a / k; sum += term; }
        var x = term * a / n * n / (n - a); // A^N/N! * N/(N-A)
        return x / (sum + x);
    }

    public static double ErlangMeanWait(int n, double a, double h) => ErlangC(n, a) * h / (n - a);
    public static double ErlangPWaitAbove(int n, double a, double h, double t) => ErlangC(n, a) * Math.Exp(-(n - a) * t / h);

    public static double Exponential(Random random, double mean) => -mean * Math.Log(1 - random.NextDouble());
}
