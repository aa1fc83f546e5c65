namespace Hotline.Domain;

/// <summary>Erlang C formulas (see shared/domain.md): the limit a work-conserving router is measured against.</summary>
/// <remarks>Computed through the Erlang B recursion B(k) = A B(k-1) / (k + A B(k-1)), C = N B / (N - A (1 - B)): no factorials, stable for large N.</remarks>
public static class ErlangC
{
    /// <summary>Erlang B (blocking probability) for N servers and A Erlangs.</summary>
    public static double ErlangB(int servers, double erlangs)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(servers);
        if (double.IsNaN(erlangs) || erlangs < 0) throw new ArgumentOutOfRangeException(nameof(erlangs));
        double b = 1;
        for (var k = 1; k <= servers; k++) b = erlangs * b / (k + erlangs * b);
        return b;
    }

    /// <summary>P(wait) = C(N, A) for N servers and A Erlangs of offered load; 1 when A &gt;= N.</summary>
    public static double ProbabilityOfWait(int servers, double erlangs)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(servers);
        if (double.IsNaN(erlangs) || erlangs < 0) throw new ArgumentOutOfRangeException(nameof(erlangs));
        if (erlangs == 0) return 0;
        if (erlangs >= servers) return 1;
        var b = ErlangB(servers, erlangs);
        return Math.Clamp(servers * b / (servers - erlangs * (1 - b)), 0, 1);
    }

    /// <summary>Mean wait of all arrivals: C(N, A) * h / (N - A).</summary>
    public static double MeanWait(int servers, double erlangs, double handleSeconds)
    {
        if (erlangs >= servers && erlangs > 0) return double.PositiveInfinity;
        return ProbabilityOfWait(servers, erlangs) * handleSeconds / (servers - erlangs);
    }

    /// <summary>SL(t) = 1 - C(N, A) * exp(-(N - A) * t / h).</summary>
    public static double ServiceLevel(int servers, double erlangs, double handleSeconds, double thresholdSeconds)
    {
        if (erlangs >= servers && erlangs > 0) return 0;
        if (handleSeconds <= 0) return 1;
        return Math.Clamp(1 - ProbabilityOfWait(servers, erlangs) * Math.Exp(-(servers - erlangs) * thresholdSeconds / handleSeconds), 0, 1);
    }

    /// <summary>Fewest servers that reach <paramref name="targetServiceLevel"/> within <paramref name="thresholdSeconds"/>.</summary>
    /// <remarks>The smallest N &gt; A meeting the target; 0 when there are no arrivals (or no handle time).</remarks>
    public static int ServersNeeded(double arrivalsPerSecond, double handleSeconds, double targetServiceLevel, double thresholdSeconds)
    {
        if (double.IsNaN(arrivalsPerSecond) || arrivalsPerSecond < 0) throw new ArgumentOutOfRangeException(nameof(arrivalsPerSecond));
        if (double.IsNaN(handleSeconds) || handleSeconds < 0) throw new ArgumentOutOfRangeException(nameof(handleSeconds));
        if (double.IsNaN(targetServiceLevel) || targetServiceLevel < 0 || targetServiceLevel >= 1) throw new ArgumentOutOfRangeException(nameof(targetServiceLevel), "target must be in [0, 1)");
        var a = arrivalsPerSecond * handleSeconds;
        if (a <= 0) return 0;
        if (a > 1e7) throw new ArgumentOutOfRangeException(nameof(arrivalsPerSecond), "offered load too large");
        var n = (int)Math.Floor(a) + 1;
        while (ServiceLevel(n, a, handleSeconds, thresholdSeconds) < targetServiceLevel) n++;
        return n;
    }
}
