using System.Diagnostics;
using System.Globalization;
using Hotline.Domain;

namespace Hotline.Bench;

/// <summary>Entry point: <c>routing [arrivals] [seed]</c>, <c>journal ...</c>, <c>scale ...</c>, <c>commit ...</c>.</summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "journal")
        {
            // journal [cycles=2000] [waiting sizes=100,10000]
            var cycles = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 2000;
            var sizes = (args.Length > 2 ? args[2] : "100,10000").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
            RouterJournalBench.Run(sizes, cycles).GetAwaiter().GetResult();
            return 0;
        }
        if (args.Length > 0 && args[0] == "scale")
        {
            // scale [lawyers=2000] [waiting sizes=100,10000] [cycles=50000] [seed=12351]
            var lawyers = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 2000;
            var sizes = (args.Length > 2 ? args[2] : "100,10000").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
            var cycles = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 50_000;
            RouterScaleBench.Run(lawyers, sizes, cycles, args.Length > 4 ? int.Parse(args[4], CultureInfo.InvariantCulture) : 12351);
            return 0;
        }
        if (args.Length > 0 && args[0] == "commit")
        {
            // commit [writers=20] [rate per writer=20] [seconds=10] [rounds=3]
            double Arg(int i, double fallback) => args.Length > i ? double.Parse(args[i], CultureInfo.InvariantCulture) : fallback;
            CommitBench.Run((int)Arg(1, 20), Arg(2, 20), Arg(3, 10), (int)Arg(4, 3)).GetAwaiter().GetResult();
            return 0;
        }
        if (args.Length == 0 || args[0] != "routing")
        {
            Console.Error.WriteLine("usage: Hotline.Bench routing [arrivals=100000] [seed=12351] | journal [cycles=2000] [waiting=100,10000] | scale [lawyers=2000] [waiting=100,10000] [cycles=50000] [seed] | commit [writers=20] [rate=20] [seconds=10] [rounds=3]");
            return 2;
        }
        var arrivals = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 100_000;
        var seed = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 12351;
        RoutingBench.Run(arrivals, seed);
        return 0;
    }
}

/// <summary>
/// Routing decisions per second of <see cref="RoutingEngine"/> on a discrete-event stream (200 lawyers, 8 categories,
/// 7 dialects, Poisson arrivals, exponential handle times, instant accept), against a naive head-of-line FIFO matcher
/// (single category, no skills/dialects, O(1) per event) driven by the same arrival stream in the same run.
/// </summary>
public static class RoutingBench
{
    private static readonly string[] Categories = ["wage", "contract", "dismissal", "injury", "social-insurance", "overtime", "leave", "other"];
    private static readonly string[] Dialects = ["mandarin", "cantonese", "hakka", "minnan", "wu", "xiang", "gan"];
    private const int Lawyers = 200;
    private const double HandleSeconds = 300;
    private const double TargetOccupancy = 0.85;

    private sealed record Outcome(string Name, long Events, long Decisions, double Seconds, double MeanWait, double P50Micros, double P99Micros, int MaxQueue);

    public static void Run(int arrivals, int seed)
    {
        var lawyers = MakeLawyers(seed);
        var slots = lawyers.Sum(l => l.Capacity);
        var lambda = TargetOccupancy * slots / HandleSeconds;
        // Warm-up (JIT, tiered compilation), then the measured runs.
        RunEngine(lawyers, Math.Min(arrivals, 10_000), lambda, seed + 1);
        RunNaive(lawyers, Math.Min(arrivals, 10_000), lambda, seed + 1);
        var engine = RunEngine(lawyers, arrivals, lambda, seed);
        var naive = RunNaive(lawyers, arrivals, lambda, seed);

        Console.WriteLine($"## Routing decisions per second ({DateTime.UtcNow:yyyy-MM-dd})");
        Console.WriteLine();
        Console.WriteLine($"{Lawyers} lawyers ({slots} chat slots, capacity 1-3, 10 % phone), {Categories.Length} categories, {Dialects.Length} dialects, " +
            $"{arrivals:N0} Poisson arrivals at {lambda:F3}/s, exponential handle time {HandleSeconds} s (offered load {TargetOccupancy:P0} of slots), " +
            $"instant accept, widening 60 s / 180 s. One thread, {Environment.ProcessorCount} cores, .NET {Environment.Version}, seed {seed}.");
        Console.WriteLine("A decision is one offer made; an event is one engine command (enqueue, accept, release, tick).");
        Console.WriteLine();
        Console.WriteLine("| Matcher | Events | Decisions | Wall (s) | Decisions/s | Events/s | p50 / p99 per event (µs) | Mean wait (s) | Max queue |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var o in new[] { engine, naive })
            Console.WriteLine($"| {o.Name} | {o.Events:N0} | {o.Decisions:N0} | {o.Seconds:F2} | {o.Decisions / o.Seconds:N0} | {o.Events / o.Seconds:N0} | " +
                $"{o.P50Micros:F1} / {o.P99Micros:F1} | {o.MeanWait:F1} | {o.MaxQueue:N0} |");
        Console.WriteLine();
        Console.WriteLine($"RoutingEngine runs at {engine.Decisions / engine.Seconds / (naive.Decisions / naive.Seconds):P1} of the naive matcher's decision rate; " +
            "the naive matcher ignores skills, dialects, priorities, fairness and offers, so it is a floor on cost, not a fair router.");
    }

    private static List<LawyerInfo> MakeLawyers(int seed)
    {
        var rnd = new Random(seed);
        var list = new List<LawyerInfo>();
        for (var i = 0; i < Lawyers; i++)
        {
            var skills = Categories.OrderBy(_ => rnd.Next()).Take(rnd.Next(2, 5)).ToList();
            var dialects = new List<string> { "mandarin" };
            dialects.AddRange(Dialects.Skip(1).OrderBy(_ => rnd.Next()).Take(rnd.Next(0, 3)));
            list.Add(new LawyerInfo($"L{i:000}", $"Lawyer {i}", skills, dialects, rnd.Next(1, 4), LawyerStatus.Available));
        }
        return list;
    }

    private sealed class Arrivals(int seed, double lambda)
    {
        private readonly Random rnd = new(seed);
        public double Exp(double mean) => -mean * Math.Log(1 - rnd.NextDouble());
        public double NextGap() => Exp(1 / lambda);
        public QueueEntry NextEntry(string id) => new()
        {
            ConsultationId = id,
            Category = Categories[rnd.Next(Categories.Length)],
            // Most workers are fine in Mandarin; the rest prefer a dialect.
            Dialect = rnd.NextDouble() < 0.5 ? "mandarin" : Dialects[1 + rnd.Next(Dialects.Length - 1)],
            Channel = rnd.NextDouble() < 0.1 ? Channel.Phone : Channel.Web,
            Priority = rnd.NextDouble() < 0.05 ? 1 : 0,
        };
    }

    private static Outcome RunEngine(List<LawyerInfo> lawyers, int arrivals, double lambda, int seed)
    {
        var t0 = new DateTimeOffset(2025, 1, 6, 0, 0, 0, TimeSpan.Zero);
        DateTimeOffset At(double s) => t0.AddTicks((long)Math.Round(s * TimeSpan.TicksPerSecond));
        var src = new Arrivals(seed, lambda);
        var engine = new RoutingEngine(new RouterState(), new RoutingOptions { OfferTimeoutSeconds = 20 });
        foreach (var l in lawyers) engine.UpsertLawyer(l, t0);
        var departures = new PriorityQueue<string, double>();
        var latencies = new List<double>(arrivals * 4);
        long events = 0;
        double waitSum = 0;
        long answered = 0;
        var maxQueue = 0;
        var tickFreq = (double)Stopwatch.Frequency;

        RoutingResult Timed(Func<RoutingResult> command)
        {
            var start = Stopwatch.GetTimestamp();
            var r = command();
            latencies.Add((Stopwatch.GetTimestamp() - start) * 1e6 / tickFreq);
            events++;
            if (!r.Succeeded) throw new InvalidOperationException($"{r.ErrorCode}: {r.ErrorMessage}");
            return r;
        }

        void Carry(RoutingResult r, double now)
        {
            foreach (var effect in r.Effects)
            {
                if (effect is not OfferMade offer) continue;
                var accepted = Timed(() => engine.Accept(offer.ConsultationId, offer.LawyerId, At(now)));
                foreach (var a in accepted.Effects.OfType<ConsultationAssigned>())
                {
                    waitSum += a.WaitedSeconds;
                    answered++;
                    departures.Enqueue(a.ConsultationId, now + src.Exp(HandleSeconds));
                }
                Carry(accepted, now);
            }
        }

        var sw = Stopwatch.StartNew();
        var nextArrival = src.NextGap();
        var n = 0;
        var clock = 0.0;
        while (n < arrivals || departures.Count > 0 || engine.State.Queue.Count > 0)
        {
            var hasDeparture = departures.TryPeek(out _, out var nextDeparture);
            var nextEvent = Math.Min(n < arrivals ? nextArrival : double.PositiveInfinity, hasDeparture ? nextDeparture : double.PositiveInfinity);
            // Timer: NextDeadline(now) is strictly after now for widening steps, so time always moves forward.
            if (engine.NextDeadline(At(clock)) is { } deadline && (double.IsPositiveInfinity(nextEvent) || deadline <= At(nextEvent)))
            {
                clock = Math.Max(clock, (deadline - t0).Ticks / (double)TimeSpan.TicksPerSecond);
                Carry(Timed(() => engine.Tick(deadline)), clock);
            }
            else if (n < arrivals && (!hasDeparture || nextArrival <= nextDeparture))
            {
                var entry = src.NextEntry($"c{n++}");
                var at = clock = nextArrival;
                Carry(Timed(() => engine.Enqueue(entry, At(at))), at);
                nextArrival += src.NextGap();
            }
            else if (hasDeparture)
            {
                var id = departures.Dequeue();
                clock = nextDeparture;
                Carry(Timed(() => engine.Release(id, At(nextDeparture), null)), nextDeparture);
            }
            else break; // nothing left that could ever be served
            maxQueue = Math.Max(maxQueue, engine.State.Queue.Count);
        }
        sw.Stop();
        latencies.Sort();
        return new Outcome("RoutingEngine (skills, dialects, widening, fairness, offers)", events, engine.OffersMade, sw.Elapsed.TotalSeconds,
            waitSum / Math.Max(1, answered), Percentile(latencies, 0.5), Percentile(latencies, 0.99), maxQueue);
    }

    private static Outcome RunNaive(List<LawyerInfo> lawyers, int arrivals, double lambda, int seed)
    {
        var src = new Arrivals(seed, lambda);
        var free = new Stack<string>();
        foreach (var l in lawyers) for (var i = 0; i < l.Capacity; i++) free.Push(l.LawyerId);
        var queue = new Queue<(string Id, double At)>();
        var departures = new PriorityQueue<string, double>();
        var latencies = new List<double>(arrivals * 2);
        long events = 0, decisions = 0, answered = 0;
        double waitSum = 0;
        var maxQueue = 0;
        var tickFreq = (double)Stopwatch.Frequency;

        void Assign((string Id, double At) c, string lawyer, double now)
        {
            decisions++;
            answered++;
            waitSum += now - c.At;
            departures.Enqueue(lawyer, now + src.Exp(HandleSeconds));
        }

        var sw = Stopwatch.StartNew();
        var nextArrival = src.NextGap();
        var n = 0;
        while (n < arrivals || departures.Count > 0)
        {
            var hasDeparture = departures.TryPeek(out _, out var nextDeparture);
            var start = Stopwatch.GetTimestamp();
            if (n < arrivals && (!hasDeparture || nextArrival <= nextDeparture))
            {
                var entry = src.NextEntry($"c{n++}"); // same stream (and cost of making it) as the engine run
                queue.Enqueue((entry.ConsultationId, nextArrival));
                while (queue.Count > 0 && free.Count > 0) Assign(queue.Dequeue(), free.Pop(), nextArrival); // head of line only
                nextArrival += src.NextGap();
            }
            else
            {
                free.Push(departures.Dequeue());
                while (queue.Count > 0 && free.Count > 0) Assign(queue.Dequeue(), free.Pop(), nextDeparture);
            }
            latencies.Add((Stopwatch.GetTimestamp() - start) * 1e6 / tickFreq);
            events++;
            maxQueue = Math.Max(maxQueue, queue.Count);
        }
        sw.Stop();
        latencies.Sort();
        return new Outcome("Naive head-of-line FIFO (one category, no skills)", events, decisions, sw.Elapsed.TotalSeconds,
            waitSum / Math.Max(1, answered), Percentile(latencies, 0.5), Percentile(latencies, 0.99), maxQueue);
    }

    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)(p * sorted.Count))];
}
