namespace Hotline.Domain;

/// <summary>Erlang C formulas (see shared/domain.md): the limit a work-conserving router is measured against.</summary>
public static class ErlangC
{
    /// <summary>P(wait) = C(N, A) for N servers and A Erlangs of offered load; 1 when A &gt;= N.</summary>
    public static double ProbabilityOfWait(int servers, double erlangs) => throw new NotImplementedException();
    /// <summary>Mean wait of all arrivals: C(N, A) * h / (N - A).</summary>
    public static double MeanWait(int servers, double erlangs, double handleSeconds) => throw new NotImplementedException();
    /// <summary>SL(t) = 1 - C(N, A) * exp(-(N - A) * t / h).</summary>
    public static double ServiceLevel(int servers, double erlangs, double handleSeconds, double thresholdSeconds) => throw new NotImplementedException();
    /// <summary>Fewest servers that reach <paramref name="targetServiceLevel"/> within <paramref name="thresholdSeconds"/>.</summary>
    public static int ServersNeeded(double arrivalsPerSecond, double handleSeconds, double targetServiceLevel, double thresholdSeconds) => throw new NotImplementedException();
}
