using Xunit.Abstractions;
using Hotline.Domain;

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

    internal static (double MeanWait, double PWait) Simulate(int servers, double lambda, double handle, int arrivals, int warmup, int seed)
    {
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
