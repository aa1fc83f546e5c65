using System.Diagnostics;
using Hotline.Domain;

namespace Hotline.Bench;

/// <summary>
/// The routing engine at federation scale (issue 14): decisions per second with a long queue and many lawyers, at each
/// queue length in the same run (the short queue is the baseline: a cost that grows with the queue shows as a ratio
/// below 1), and a naive head-of-line FIFO matcher on the same cycles as the floor.
/// </summary>
/// <remarks>
/// L lawyers (8 categories, 2-4 skills each, Mandarin plus 0-2 of 6 dialects, capacity 1-3), every slot busy, W
/// consultations waiting (10 % phone calls, 5 % priority, half Mandarin, 40 % naming an employer, 3 % of lawyers with a
/// conflict); then cycles of: a random active consultation closes (Release: its lawyer's slot frees and the engine
/// offers it the first eligible consultation: a decision), every offer is accepted (5 % declined first, then offered on),
/// and a new consultation arrives (Enqueue), so the queue stays at about W. Simulated time advances 10 ms per cycle, so
/// the queue ages through the widening steps (60 s, 180 s) as in production. One thread, engine only (no persistence).
/// </remarks>
public static class RouterScaleBench
{
    private static readonly string[] Categories = ["wage", "contract", "dismissal", "injury", "social-insurance", "overtime", "leave", "other"];
    private static readonly string[] Dialects = ["mandarin", "cantonese", "hakka", "minnan", "wu", "xiang", "gan"];
    private static readonly string[] Employers = ["acme", "fuzhou-textile", "xiamen-port", "minjiang-build", "quanzhou-shoes"];

    private sealed record Row(int Waiting, long Commands, long Decisions, double Seconds, double CpuSeconds, double P50, double P99, int QueueAtEnd, Flush Burst, Flush TailSame, Flush TailLater, double Reserved,
        double BytesPerCommand, int Collections, double GcPauseMs);

    /// <summary>Timed flushes of one kind (<see cref="Flushes"/> of them): median wall ms, mean CPU ms, mean positions pushed.</summary>
    private sealed record Flush(double WallMs, double CpuMs, int Pushed)
    {
        public override string ToString() => $"{WallMs:F2} / {CpuMs:F0} ({Pushed:N0})";
    }

    /// <summary>Cycles (release, offer answered, arrival) between two flushes in the burst measurement: 50 arrivals a second.</summary>
    private const int BurstCycles = 25;

    /// <summary>How many flushes of each kind are timed: 5, or the FLUSHES environment variable (more smooths out a shared machine).</summary>
    private static readonly int Flushes = int.TryParse(Environment.GetEnvironmentVariable("FLUSHES"), out var n) && n > 0 ? n : 5;

    public static void Run(int lawyers, int[] waitingSizes, int cycles, int seed)
    {
        // Warm-up (JIT, tiered compilation) on the smallest size.
        Measure(lawyers, waitingSizes.Min(), Math.Min(cycles, 5_000), seed + 1);
        var rows = waitingSizes.Select(w => Measure(lawyers, w, cycles, seed)).ToList();
        var naive = Naive(lawyers, waitingSizes.Max(), cycles, seed);
        Console.WriteLine($"## Router at scale: decisions per second ({DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC)");
        Console.WriteLine();
        Console.WriteLine($"{lawyers:N0} lawyers (8 categories, 7 dialects, capacity 1-3), all busy; W waiting; {cycles:N0} cycles of release + accept " +
            $"(5 % declined first) + arrival; 10 % phone; one thread, {Environment.ProcessorCount} cores, .NET {Environment.Version}, " +
            $"{(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")} GC, seed {seed}, load average {LoadAverage()} at the end.");
        Console.WriteLine();
        Console.WriteLine("Decisions per CPU-second use the process's CPU time over the measured cycles (robust when other processes hold the cores); " +
            "per wall-second they include the time this process waited for a core.");
        Console.WriteLine();
        Console.WriteLine("Allocated bytes per command count what the engine's commands allocate on this thread (their results included); " +
            "GCs are the garbage collections during the measured cycles (any generation) and their total pause.");
        Console.WriteLine();
        Console.WriteLine($"FlushPositions columns: ms of wall time (median of {Flushes}) / ms of CPU (mean of {Flushes}; counted in 10 ms ticks) (positions pushed, mean of {Flushes}). " +
            $"Burst: a flush 500 ms after the last, after {BurstCycles} cycles spread over those 500 ms (the router grain's timer). The queue is first brought back to W waiting (arrivals). Tail: one arrival " +
            "(priority 0: last of its category; every lawyer busy at 10,000 waiting, so it waits), flushed at the instant of the flush before " +
            "(nothing an estimate depends on changed) or 500 ms after it (time moved: every running chat's expected remaining time, so every estimate, changed).");
        Console.WriteLine();
        Console.WriteLine("| waiting | commands | decisions | wall (s) | CPU (s) | decisions / wall s | decisions / CPU s | p50 / p99 per command (µs, wall) | vs smallest queue (CPU) | allocated bytes / command | GCs (pause ms) | FlushPositions after a burst | after one tail arrival, same instant | after one tail arrival, 500 ms later | lawyers reserved for a call (mean) |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        var baseline = rows[0].Decisions / rows[0].CpuSeconds;
        foreach (var r in rows)
            Console.WriteLine($"| {r.Waiting:N0} (end {r.QueueAtEnd:N0}) | {r.Commands:N0} | {r.Decisions:N0} | {r.Seconds:F2} | {r.CpuSeconds:F2} | {r.Decisions / r.Seconds:N0} | " +
                $"{r.Decisions / r.CpuSeconds:N0} | {r.P50:F1} / {r.P99:F1} | {r.Decisions / r.CpuSeconds / baseline:F2}x | {r.BytesPerCommand:N0} | {r.Collections} ({r.GcPauseMs:F0}) | {r.Burst} | {r.TailSame} | {r.TailLater} | {r.Reserved:F1} |");
        Console.WriteLine();
        Console.WriteLine($"Naive head-of-line FIFO on the same cycles at {waitingSizes.Max():N0} waiting (one category, no skills, O(1)): " +
            $"{naive:N0} decisions per CPU-second; the engine at that queue runs at {rows[^1].Decisions / rows[^1].CpuSeconds / naive:P1} of it.");
    }

    private static string LoadAverage()
    {
        try { return File.ReadAllText("/proc/loadavg").Split(' ')[0]; }
        catch (IOException) { return "n/a"; }
    }

    private static List<LawyerInfo> MakeLawyers(int count, Random rnd)
    {
        var list = new List<LawyerInfo>(count);
        for (var i = 0; i < count; i++)
        {
            var skills = Categories.OrderBy(_ => rnd.Next()).Take(rnd.Next(2, 5)).ToList();
            var dialects = new List<string> { "mandarin" };
            dialects.AddRange(Dialects.Skip(1).OrderBy(_ => rnd.Next()).Take(rnd.Next(0, 3)));
            var conflicts = rnd.NextDouble() < 0.03 ? [Employers[rnd.Next(Employers.Length)]] : new List<string>();
            list.Add(new LawyerInfo($"L{i:0000}", $"Lawyer {i}", skills, dialects, rnd.Next(1, 4), LawyerStatus.Available, conflicts));
        }
        return list;
    }

    private static QueueEntry NextEntry(Random rnd, string id) => new()
    {
        ConsultationId = id,
        Category = Categories[rnd.Next(Categories.Length)],
        Dialect = rnd.NextDouble() < 0.5 ? "mandarin" : Dialects[1 + rnd.Next(Dialects.Length - 1)],
        Channel = rnd.NextDouble() < 0.1 ? Channel.Phone : Channel.Web,
        Priority = rnd.NextDouble() < 0.05 ? 1 : 0,
        EmployerKey = rnd.NextDouble() < 0.4 ? Employers[rnd.Next(Employers.Length)] : null,
    };

    private static Row Measure(int lawyerCount, int waiting, int cycles, int seed)
    {
        var rnd = new Random(seed);
        var now = new DateTimeOffset(2026, 11, 29, 0, 0, 0, TimeSpan.Zero);
        var engine = new RoutingEngine(new RouterState(), new RoutingOptions());
        var active = new List<string>();
        var next = 0;
        // Sized for every command of the measured cycles (about 3.1 per cycle): a list that grows inside the window copies
        // itself (a large-object allocation) within one command's time and bytes.
        var latencies = new List<double>(cycles * 4 + 1024);
        var timing = false;
        long commands = 0, reservedSum = 0, allocated = 0, startBytes = 0, startTicks = 0;

        // Every command is timed as Done(engine.X(...)) after Start(): no delegate or closure is made per command, so what the
        // window allocates and collects is the engine's (and the arrivals' own entries).
        void Start()
        {
            startBytes = GC.GetAllocatedBytesForCurrentThread();
            startTicks = Stopwatch.GetTimestamp();
        }
        RoutingResult Done(RoutingResult r)
        {
            if (timing)
            {
                latencies.Add(Stopwatch.GetElapsedTime(startTicks).TotalMicroseconds);
                allocated += GC.GetAllocatedBytesForCurrentThread() - startBytes;
                commands++;
                reservedSum += engine.ReservedLawyers.Count;
            }
            if (!r.Succeeded) throw new InvalidOperationException($"{r.ErrorCode}: {r.ErrorMessage}");
            return r;
        }

        // Offers are answered at once: accepted, or (5 %) declined first and then offered on.
        void Carry(RoutingResult r)
        {
            var effects = r.Effects;
            for (var i = 0; i < effects.Count; i++)
            {
                if (effects[i] is not OfferMade offer) continue;
                if (rnd.NextDouble() < 0.05)
                {
                    Start();
                    Carry(Done(engine.Decline(offer.ConsultationId, offer.LawyerId, now)));
                }
                else
                {
                    Start();
                    Carry(Done(engine.Accept(offer.ConsultationId, offer.LawyerId, now)));
                    active.Add(offer.ConsultationId);
                }
            }
        }

        foreach (var l in MakeLawyers(lawyerCount, rnd))
        {
            Start();
            Done(engine.UpsertLawyer(l, now));
        }
        // Fill every slot, then the queue. Nobody frees meanwhile, so the queue only grows.
        while (engine.State.Queue.Count < waiting)
        {
            var e = NextEntry(rnd, $"c{next++:x8}");
            Start();
            Carry(Done(engine.Enqueue(e, now)));
            now = now.AddMilliseconds(1);
        }
        // One cycle: a random active consultation is released, and a new one arrives.
        void ReleaseOneAndArrive()
        {
            var k = rnd.Next(active.Count);
            var id = active[k];
            active[k] = active[^1];
            active.RemoveAt(active.Count - 1);
            Start();
            Carry(Done(engine.Release(id, now, null)));
            var e = NextEntry(rnd, $"c{next++:x8}");
            Start();
            Carry(Done(engine.Enqueue(e, now)));
        }
        var offers0 = engine.OffersMade;
        // The state built above is long-lived, as a running router's is: collected once here (promoted out of the young
        // generations), so that the window's collections are of the commands' own garbage, not a one-off copy of the setup.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        timing = true;
        var gcs0 = GC.CollectionCount(0);
        var pause0 = GC.GetTotalPauseDuration();
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < cycles; i++)
        {
            now = now.AddMilliseconds(10);
            ReleaseOneAndArrive();
        }
        watch.Stop();
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
        var gcs = GC.CollectionCount(0) - gcs0; // every collection counts in generation 0's count
        var gcPause = (GC.GetTotalPauseDuration() - pause0).TotalMilliseconds;
        var decisions = engine.OffersMade - offers0;
        // Positions as the router grain pushes them: a flush every 500 ms after the commands of that time.
        timing = false;
        engine.FlushPositions(now);
        Flush TimeFlushes(Action before)
        {
            var flushes = new List<(double Wall, double Cpu, int Changed)>();
            for (var i = 0; i < Flushes; i++)
            {
                before();
                var flushCpu = Process.GetCurrentProcess().TotalProcessorTime;
                var flush = Stopwatch.StartNew();
                var changed = engine.FlushPositions(now);
                flush.Stop();
                flushes.Add((flush.Elapsed.TotalMilliseconds, (Process.GetCurrentProcess().TotalProcessorTime - flushCpu).TotalMilliseconds,
                    changed?.Positions.Count ?? 0));
            }
            // CPU time is counted in scheduler ticks (10 ms on Linux): the mean over the flushes, not the median, is meaningful.
            var cpuMean = flushes.Average(f => f.Cpu);
            var pushed = (int)Math.Round(flushes.Average(f => f.Changed));
            flushes.Sort();
            return new Flush(flushes[flushes.Count / 2].Wall, cpuMean, pushed);
        }
        void TailArrival()
        {
            var e = NextEntry(rnd, $"c{next++:x8}");
            e.Priority = 0;
            Start();
            Carry(Done(engine.Enqueue(e, now)));
        }
        // Back to W waiting first (the short queue drains during the cycles): arrivals until W wait.
        while (engine.State.Queue.Count < waiting) TailArrival();
        engine.FlushPositions(now);
        var burst = TimeFlushes(() =>
        {
            for (var k = 0; k < BurstCycles; k++)
            {
                now = now.AddMilliseconds(500.0 / BurstCycles);
                ReleaseOneAndArrive();
            }
        });
        var tailSame = TimeFlushes(TailArrival);
        var tailLater = TimeFlushes(() =>
        {
            now = now.AddMilliseconds(500);
            TailArrival();
        });
        latencies.Sort();
        return new Row(waiting, commands, decisions, watch.Elapsed.TotalSeconds, cpu, Percentile(latencies, 0.5), Percentile(latencies, 0.99),
            engine.State.Queue.Count, burst, tailSame, tailLater, (double)reservedSum / Math.Max(1, commands),
            (double)allocated / Math.Max(1, commands), gcs, gcPause);
    }

    /// <summary>Head-of-line FIFO over the same slots and cycles: a decision per freed slot, O(1).</summary>
    private static double Naive(int lawyerCount, int waiting, int cycles, int seed)
    {
        var rnd = new Random(seed);
        var lawyers = MakeLawyers(lawyerCount, rnd);
        var busy = new List<(string Id, string Lawyer)>();
        var queue = new Queue<string>();
        var next = 0;
        foreach (var l in lawyers) for (var i = 0; i < l.Capacity; i++) busy.Add(($"c{next++:x8}", l.LawyerId));
        for (var i = 0; i < waiting; i++) queue.Enqueue(NextEntry(rnd, $"c{next++:x8}").ConsultationId);
        long decisions = 0;
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        for (var i = 0; i < cycles; i++)
        {
            var k = rnd.Next(busy.Count);
            var lawyer = busy[k].Lawyer;
            busy[k] = busy[^1];
            busy.RemoveAt(busy.Count - 1);
            busy.Add((queue.Dequeue(), lawyer));
            decisions++;
            queue.Enqueue(NextEntry(rnd, $"c{next++:x8}").ConsultationId); // same cost of making an arrival as the engine run
        }
        return decisions / Math.Max(1e-6, (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds);
    }

    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)(p * sorted.Count))];
}
