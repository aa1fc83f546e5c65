using Xunit.Abstractions;

namespace Hotline.Domain.Tests;

/// <summary>
/// M/M/N through the real <see cref="RoutingEngine"/>: one category, one dialect, capacity 1, instant accept, no abandonment.
/// A work-conserving router lands on Erlang C; any time lost by the router shows up as a larger mean wait.
/// </summary>
public class ErlangSimulationTests(ITestOutputHelper output)
{
    [Fact]
    public void MMN_WithRouter_MatchesErlangC()
    {
        const int servers = 20;
        const double erlangs = 17, handle = 100, lambda = erlangs / handle;
        const int arrivals = 200_000, warmup = 10_000;
        var (meanWait, pWait) = Simulate(servers, lambda, handle, arrivals, warmup, seed: 12351);
        var expectedC = ErlangC.ProbabilityOfWait(servers, erlangs);
        var expectedW = ErlangC.MeanWait(servers, erlangs, handle);
        output.WriteLine($"simulated P(wait) {pWait:F4} mean wait {meanWait:F3} s; Erlang C {expectedC:F4}, {expectedW:F3} s");
        Assert.InRange(pWait, expectedC * 0.95, expectedC * 1.05);
        Assert.InRange(meanWait, expectedW * 0.9, expectedW * 1.1);
    }

    /// <summary>
    /// Issue 11: the wait announced on arrival (the engine's estimate for a consultation that has to wait) against the
    /// wait it then measured, in the same M/M/20 (A = 17) scenario. Reported in BENCHMARKS.md.
    /// </summary>
    [Fact]
    public void MMN_WaitEstimate_ErrorAgainstMeasuredWaits()
    {
        const int servers = 20;
        const double erlangs = 17, handle = 100, lambda = erlangs / handle;
        var estimates = new List<(double Estimate, double Naive, double Actual)>();
        Simulate(servers, lambda, handle, 40_000, 2_000, seed: 2351, estimates);
        Assert.True(estimates.Count > 1000, $"only {estimates.Count} consultations waited");
        var mae = estimates.Average(e => Math.Abs(e.Estimate - e.Actual));
        var naive = estimates.Average(e => Math.Abs(e.Naive - e.Actual));
        var meanActual = estimates.Average(e => e.Actual);
        var bias = estimates.Average(e => e.Estimate - e.Actual);
        output.WriteLine($"consultations that waited: {estimates.Count}; mean measured wait {meanActual:F2} s; " +
            $"estimate MAE {mae:F2} s (bias {bias:+0.00;-0.00} s); position x AHT / online capacity MAE {naive:F2} s");
        // With memoryless handle times, position x AHT / servers is already the exact expected wait of a position, so the
        // estimate (which also serves regular handle times, free slots and partial eligibility) must stay close to it, unbiased.
        Assert.True(mae < naive * 1.15, $"estimate MAE {mae:F2} s is more than 15 % above {naive:F2} s");
        Assert.InRange(bias, -0.1 * meanActual, 0.1 * meanActual);
    }

    internal static (double MeanWait, double PWait) Simulate(int servers, double lambda, double handle, int arrivals, int warmup, int seed,
        List<(double Estimate, double Naive, double Actual)>? estimates = null)
    {
        var announced = new Dictionary<string, (double, double)>();
        var rnd = new Random(seed);
        double Exp(double mean) => -mean * Math.Log(1 - rnd.NextDouble());
        var t0 = R.T0;
        DateTimeOffset At(double s) => t0.AddTicks((long)Math.Round(s * TimeSpan.TicksPerSecond));
        var engine = new RoutingEngine(new RouterState(), new RoutingOptions { Widening = [], OfferTimeoutSeconds = 1e9, SetAwayOnTimeout = false });
        for (var i = 0; i < servers; i++) engine.UpsertLawyer(new LawyerInfo($"L{i:00}", "", ["wage"], ["mandarin"], 1, LawyerStatus.Available), t0).Ok();

        var departures = new PriorityQueue<string, double>();
        var arrivalIndex = new Dictionary<string, int>();
        double waitSum = 0;
        long counted = 0, waited = 0;
        var nextArrival = Exp(1 / lambda);
        var n = 0;

        void Carry(RoutingResult result, double now)
        {
            foreach (var offer in result.Effects.OfType<OfferMade>().ToList())
            {
                var assigned = engine.Accept(offer.ConsultationId, offer.LawyerId, At(now)).Ok();
                var a = Assert.Single(assigned.Of<ConsultationAssigned>());
                if (announced.Remove(a.ConsultationId, out var said) && estimates is not null)
                    estimates.Add((said.Item1, said.Item2, a.WaitedSeconds));
                if (arrivalIndex.Remove(a.ConsultationId, out var idx) && idx >= warmup)
                {
                    counted++;
                    waitSum += a.WaitedSeconds;
                    if (a.WaitedSeconds > 0) waited++;
                }
                departures.Enqueue(a.ConsultationId, now + Exp(handle));
            }
        }

        while (n < arrivals || departures.Count > 0)
        {
            var hasDeparture = departures.TryPeek(out _, out var nextDeparture);
            if (n < arrivals && (!hasDeparture || nextArrival <= nextDeparture))
            {
                var id = $"c{n}";
                arrivalIndex[id] = n;
                n++;
                Carry(engine.Enqueue(new QueueEntry { ConsultationId = id, Category = "wage", Dialect = "mandarin" }, At(nextArrival)).Ok(), nextArrival);
                // What the worker is told on arrival if they have to wait (the estimate before this issue for comparison).
                if (estimates is not null && n > warmup && engine.GetPosition(id, At(nextArrival)) is { Position: > 0, EstimatedWaitSeconds: { } est } p)
                    announced[id] = (est, Math.Ceiling(p.Position * engine.AverageHandleSeconds() / servers));
                nextArrival += Exp(1 / lambda);
            }
            else
            {
                var id = departures.Dequeue();
                Carry(engine.Release(id, At(nextDeparture), null).Ok(), nextDeparture);
            }
        }
        Assert.Empty(engine.State.Queue);
        return (waitSum / counted, (double)waited / counted);
    }
}
