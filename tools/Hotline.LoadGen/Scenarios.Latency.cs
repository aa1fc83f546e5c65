using System.Collections.Concurrent;
using Hotline.Client;

namespace Hotline.LoadGen;

internal static partial class Scenarios
{
    /// <summary>A worker's open consultation, assigned to a lawyer.</summary>
    private sealed record Pair(HotlineConnection Worker, string ConsultationId, string LawyerId);

    /// <summary>Lawyers that accept every offer at once and keep the consultation open.</summary>
    private static void AutoAccept(Run run, IEnumerable<SimLawyer> lawyers)
    {
        foreach (var l in lawyers)
            l.Connection.Offers.Added += offer => _ = Task.Run(async () =>
            {
                try { await l.Accept(offer.ConsultationId); run.Counters.Add("accepted"); }
                catch (Exception) { run.Counters.Add("accept failed"); }
            });
    }

    /// <summary>
    /// Each worker opens a consultation, joins it at once (the join's answer records the assignment from the consultation's
    /// state if the lawyer was quicker, so a missed or early <c>Assigned</c> push cannot strand the worker), and waits until
    /// a lawyer has accepted it. Counts "Assigned push missed" for pairs whose worker never saw the push itself.
    /// </summary>
    private static async Task<List<Pair>> OpenAssigned(Run run, Platform platform, IReadOnlyList<(string Token, HotlineConnection Conn)> workers, string category, string dialect, int parallelism)
    {
        var pairs = new ConcurrentBag<Pair>();
        await Platform.ForEach(workers, parallelism, async w =>
        {
            // Raw events only while opening: they tell the Assigned push from the one JoinConsultation records (below).
            w.Conn.RecordRawEvents = true;
            var consultation = await platform.Rest.OpenConsultation(w.Token, category, dialect, "load test");
            await w.Conn.JoinConsultation(consultation.Id);
            AssignedEvent assigned;
            try { assigned = await w.Conn.Assignments.WaitAsync(a => a.ConsultationId == consultation.Id, TimeSpan.FromSeconds(120)); }
            catch (TimeoutException) { run.Counters.Add("not assigned within 120 s"); return; }
            pairs.Add(new Pair(w.Conn, consultation.Id, assigned.LawyerId));
            run.Counters.Add("consultations active");
        });
        // The push may trail the join's answer by a moment: look for it a little later.
        await Task.Delay(1000);
        foreach (var p in pairs)
            if (!p.Worker.RawEvents.Items.Any(e => e.Method == "Assigned" && e.Payload.TryGetProperty("consultationId", out var id) && id.GetString() == p.ConsultationId))
                run.Counters.Add("Assigned push missed (seen only through JoinConsultation)");
        // The measured messages take the client's usual path: decoded once, no raw copy.
        foreach (var (_, w) in workers) w.RecordRawEvents = false;
        return [.. pairs];
    }

    private static async Task<List<(string Token, HotlineConnection Conn)>> ConnectWorkers(Run run, Platform platform, IReadOnlyList<string> tokens, int parallelism, MessageTracker? tracker, TimeSpan? serverTimeout = null, bool echo = true)
    {
        var conns = new (string, HotlineConnection)[tokens.Count];
        await Platform.ForEach(Enumerable.Range(0, tokens.Count), parallelism, async i =>
        {
            var conn = Run.Own(run, HotlineConnection.Worker(platform.Url, tokens[i]));
            if (serverTimeout is { } st) conn.ServerTimeout = st;
            conn.EchoOwnMessages = echo;
            Platform.KeepLittle(conn);
            await conn.StartAsync();
            conns[i] = (tokens[i], conn);
            run.Counters.Add("worker connections");
        });
        return [.. conns];
    }

    /// <summary>Open-loop sends at <paramref name="rate"/>/s until <paramref name="until"/>; each send's ack is recorded.</summary>
    private static async Task SendLoop(Run run, MessageTracker tracker, double rate, long until, string receiverKey, Latency delivery, Latency ack, Func<string, Task> send,
        string label = "")
    {
        var pending = new List<Task>();
        while (true)
        {
            await Task.Delay(TimeSpan.FromSeconds(run.NextExp(1 / rate)));
            if (Clock.Now >= until) break;
            var id = tracker.Expect(receiverKey, delivery);
            pending.Add(SendOne(run, tracker, id, ack, send, label));
        }
        await WaitAll(pending, TimeSpan.FromSeconds(30));
    }

    private static async Task SendOne(Run run, MessageTracker tracker, string id, Latency ack, Func<string, Task> send, string label)
    {
        var t = Clock.Now;
        try
        {
            await send(id);
            if (tracker.Recording) ack.Record(t, Clock.Now);
            tracker.Acked(id);
        }
        catch (Exception e)
        {
            // Nothing is owed for a failed send, but it is counted: a window whose sends fail measures nothing.
            tracker.Failed(id);
            var counter = label.Length == 0 ? "send failed" : label + ": send failed";
            run.Counters.Add(counter);
            run.Counters.Add($"{counter}: {e.GetType().Name}");
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // (a) message latency worker -> lawyer: platform vs bare relay, same clients, same run.
    public static async Task MessageLatency(Run run)
    {
        var o = run.Options;
        var pairsCount = o.Int("pairs", 20);
        var rate = o.Num("msg-rate", 20);
        var duration = o.Num("duration", 20);
        // 30 s: the silo's code is still being re-jitted (tiered compilation) for well over 3 s under this load, and the
        // tiering filled the platform's tail (p99 5-8 ms after 3 s against 1.5-2.5 ms after 30 s, docs/perf-message-path.md).
        var warmup = o.Num("warmup", 30);
        // Rounds > 1: both sides stay connected and their measured windows alternate (platform, relay, relay, platform, ...),
        // each of --duration seconds, so that a bad minute of the machine falls on both sides alike; the percentiles are
        // taken over each side's pooled windows. The relay's own p99 moved from 0.7 to 4.5 ms between single runs.
        var rounds = Math.Max(1, o.Int("rounds", 1));
        var c = run.Counters;
        var r = run.Report;

        using var platform = await run.Platform();
        var relayUrl = await run.RelayUrl();
        var p = await PlatformSide(run, platform, "platform", pairsCount, rate);
        LatencySide b;
        if (rounds == 1)
        {
            // Each side measured right after its own warm-up, platform first; the relay's clients connect after.
            await p.WarmUp(run, warmup);
            await p.Measure(run, duration, round: null);
            b = await RelaySide(run, relayUrl, pairsCount, rate);
            await b.WarmUp(run, warmup);
            await b.Measure(run, duration, round: null);
        }
        else
        {
            b = await RelaySide(run, relayUrl, pairsCount, rate);
            // The relay warms up first, so the platform's first window follows its own warm-up. ABBA (platform, relay,
            // relay, platform, ...): neither side is always the one measured right after the other.
            await b.WarmUp(run, warmup);
            await p.WarmUp(run, warmup);
            for (var round = 1; round <= rounds; round++)
                foreach (var side in round % 2 == 1 ? new[] { p, b } : [b, p])
                    await side.Measure(run, duration, round);
        }
        var gaps = await p.Finish(run);
        await b.Finish(run);

        r.Baseline = $"{run.RelayKind} SignalR relay (tools/Hotline.Relay, spawned at {relayUrl}), same client library and settings, {pairsCount} sender/receiver pairs at the same rate";
        var pDelivery = p.Delivery;
        var rDelivery = b.Delivery;
        r.Latencies["worker -> lawyer (SendMessage -> Message)"] = pDelivery.Summary();
        r.Latencies["SendMessage ack (durable)"] = p.Ack.Summary();
        r.BaselineLatencies["relay Send -> Message"] = rDelivery.Summary();
        r.BaselineLatencies["relay Send ack"] = b.Ack.Summary();
        var ps = pDelivery.Summary();
        var bs = rDelivery.Summary();
        r.Ratios["delivery p50"] = ps.P50Ms / bs.P50Ms;
        r.Ratios["delivery p99"] = ps.P99Ms / bs.P99Ms;
        r.Ratios["delivery mean"] = ps.MeanMs / bs.MeanMs;
        if (rounds > 1)
        {
            // Each round's own ratios too: the pooled ratio is the verdict, the spread says how much one window can be trusted.
            var p99Ratios = new List<double>();
            for (var i = 0; i < rounds; i++)
            {
                var pw = p.Windows[i].Summary();
                var bw = b.Windows[i].Summary();
                r.Figures[$"round {i + 1}: platform messages delivered"] = pw.Count;
                r.Figures[$"round {i + 1}: relay messages delivered"] = bw.Count;
                r.Figures[$"round {i + 1}: platform delivery p50 (ms)"] = pw.P50Ms;
                r.Figures[$"round {i + 1}: platform delivery p99 (ms)"] = pw.P99Ms;
                r.Figures[$"round {i + 1}: relay delivery p50 (ms)"] = bw.P50Ms;
                r.Figures[$"round {i + 1}: relay delivery p99 (ms)"] = bw.P99Ms;
                r.Figures[$"round {i + 1}: delivery p99 ratio"] = pw.P99Ms / bw.P99Ms;
                p99Ratios.Add(pw.P99Ms / bw.P99Ms);
            }
            p99Ratios.Sort();
            r.Figures["rounds (alternated windows per side)"] = rounds;
            r.Figures["rounds: median of the rounds' delivery p99 ratios"] = p99Ratios.Count % 2 == 1
                ? p99Ratios[p99Ratios.Count / 2]
                : (p99Ratios[p99Ratios.Count / 2 - 1] + p99Ratios[p99Ratios.Count / 2]) / 2;
        }
        // Issue 14's targets against the bare relay (1 = met), on the pooled windows.
        r.Figures["target met: p50 ratio <= 2"] = ps.P50Ms / bs.P50Ms <= 2 ? 1 : 0;
        r.Figures["target met: p99 ratio <= 1.5"] = ps.P99Ms / bs.P99Ms <= 1.5 ? 1 : 0;
        r.LostMessages = p.Lost + b.Lost;
        r.DuplicateMessages = p.Tracker.Duplicates + b.Tracker.Duplicates;
        r.SeqGaps = gaps;
        r.Errors += c.Get("errors");
        r.Notes.Add(rounds == 1
            ? $"{pairsCount} worker/lawyer pairs, each worker sending Poisson at {rate} msg/s (open loop) for {duration} s after {warmup} s warm-up; total offered {pairsCount * rate} msg/s. Platform first, then relay, same process and clients."
            : $"{pairsCount} worker/lawyer pairs, each worker sending Poisson at {rate} msg/s (open loop); total offered {pairsCount * rate} msg/s. Both sides connected and warmed up ({warmup} s each), then {rounds} rounds of one {duration} s window per side, alternated (platform, relay, relay, platform, ...); percentiles over each side's pooled windows.");
    }

    /// <summary>
    /// One side of the latency comparison, connected and ready: each measured window sends Poisson at the rate from every
    /// sender for the given seconds, into a histogram of its own (<see cref="Windows"/>) and pooled (<see cref="Delivery"/>).
    /// <paramref name="deliveryName"/> and <paramref name="ackName"/> name a window's histograms after the label.
    /// </summary>
    private sealed class LatencySide(string label, string deliveryName, string ackName, MessageTracker tracker, int senders, double rate,
        Func<int, string> receiver, Func<int, string, Task> send, Func<Task<Stages.ServerGcWindow?>> serverGc, string serverLabel, Func<Run, Task<long>> finish)
    {
        public MessageTracker Tracker => tracker;
        public List<Latency> Windows { get; } = [];
        public List<Latency> AckWindows { get; } = [];
        public Latency Delivery => Latency.Merge($"{label}: delivery", Windows);
        public Latency Ack => Latency.Merge($"{label}: ack", AckWindows);
        public long Lost { get; private set; }

        private Task Loop(Run run, long until, Latency delivery, Latency ack) =>
            Task.WhenAll(Enumerable.Range(0, senders).Select(i => SendLoop(run, tracker, rate, until, receiver(i), delivery, ack, id => send(i, id), label)));

        /// <summary>Unmeasured sends (JIT tiering, pools), then the deliveries they owe.</summary>
        public async Task WarmUp(Run run, double seconds)
        {
            run.View.Phase = label + ": warm-up";
            tracker.Recording = false;
            await Loop(run, Clock.Now + Ticks(seconds), new Latency(label + " warm-up"), new Latency(label + " warm-up ack"));
            await tracker.Drain(TimeSpan.FromSeconds(5));
        }

        /// <summary>One measured window: the load generator collects first, both it and the server report their GC in it.</summary>
        public async Task Measure(Run run, double seconds, int? round)
        {
            var name = round is { } n ? $"{label} (round {n})" : label;
            run.View.Phase = name + ": measuring";
            var delivery = run.Latency($"{name}: {deliveryName}");
            var ack = run.Latency($"{name}: {ackName}");
            Windows.Add(delivery);
            AckWindows.Add(ack);
            tracker.Recording = true;
            // The load generator's own collections stay out of both sides' windows (--client-no-gc-mb, 0: off).
            var gc = Stages.GcWindow.StartClean((long)(run.Options.Num("client-no-gc-mb", 256) * 1024 * 1024));
            var server = await serverGc();
            var failedBefore = run.Counters.Get(label + ": send failed");
            await Loop(run, Clock.Now + Ticks(seconds), delivery, ack);
            gc.Report(run.Report, name);
            var failed = run.Counters.Get(label + ": send failed") - failedBefore;
            run.Report.Figures[name + ": sends failed in the window"] = failed;
            // The topology scenario passes its mode as the label: there the clients talk to a front or a combined process.
            if (server is not null) await server.Report(run.Report, round is { } k ? $"{serverLabel} (round {k})" : serverLabel);
            // Every message of the window delivered (or counted lost) before the other side's window starts. The tracker
            // keeps every message of this side, so this is the side's running total of lost messages, not the window's.
            Lost = await tracker.Drain(TimeSpan.FromSeconds(10));
            tracker.Recording = false;
            // A window in which nothing arrived measured nothing: a percentile of it, or a ratio with it, would be a lie.
            if (delivery.Count == 0) throw new InvalidOperationException($"{name}: no message was delivered in the measured window ({failed} sends failed)");
        }

        /// <summary>The stage report (if on) and this side's seq gaps.</summary>
        public Task<long> Finish(Run run) => finish(run);
    }

    /// <summary>
    /// The platform side: <paramref name="pairsCount"/> lawyers and workers in active consultations, each worker sending
    /// Poisson at <paramref name="rate"/>/s.
    /// </summary>
    private static async Task<LatencySide> PlatformSide(Run run, Platform platform, string label, int pairsCount, double rate)
    {
        var c = run.Counters;
        var tracker = new MessageTracker(c);
        run.View.Phase = label + ": lawyers";
        var lawyers = await platform.CreateLawyers(pairsCount, ["unpaid_wages"], ["mandarin"], 1, 8, c);
        foreach (var l in lawyers)
        {
            run.Own(l.Connection);
            l.Connection.Messages.Added += m => tracker.Received("l:" + m.ConsultationId, m.ClientMessageId);
            // Stage report: the client's own share (decode, transcript, logs) told from the transport's.
            if (run.SiloStages is not null) l.Connection.MessageArrived = tracker.Arrived;
        }
        AutoAccept(run, lawyers);
        run.View.Phase = label + ": workers";
        var tokens = await platform.CreateWorkerTokens(pairsCount, 8, c);
        var workers = await ConnectWorkers(run, platform, tokens, 8, tracker);
        var pairs = await OpenAssigned(run, platform, workers, "unpaid_wages", "mandarin", 8);
        return new LatencySide(label, "SendMessage -> lawyer Message", "SendMessage ack", tracker, pairs.Count, rate, i => "l:" + pairs[i].ConsultationId,
            (i, id) => pairs[i].Worker.SendMessage(pairs[i].ConsultationId, "hello " + id[..6], id),
            () => Stages.ServerGcWindow.Silo(platform), label == "platform" ? "platform: silo" : label + ": web process",
            async run =>
            {
                if (run.SiloStages is { } siloStages) Stages.Report(run.Report, label, tracker, await Stages.Read(siloStages), platform: true);
                return pairs.Sum(p => Gaps(p.Worker, [p.ConsultationId])) + lawyers.Sum(l => Gaps(l.Connection, pairs.Select(p => p.ConsultationId)));
            });
    }

    /// <summary>The relay clients' ServerTimeout: longer than any idle stretch of a side (its warm-up or the other's window and drain).</summary>
    private static readonly TimeSpan RelayIdleTimeout = TimeSpan.FromSeconds(120);

    /// <summary>The relay side: the same number of senders and receivers, the same rate.</summary>
    private static async Task<LatencySide> RelaySide(Run run, Uri relayUrl, int pairsCount, double rate)
    {
        run.View.Phase = "relay: connecting";
        var tracker = new MessageTracker(run.Counters);
        var senders = new List<RelayClient>();
        for (var i = 0; i < pairsCount; i++)
        {
            // The relay pings every 15 s (ASP.NET Core's default) and the client's own default timeout is 10 s: with --rounds a
            // side waits through the other's windows, so the relay's idle connections would be dropped (the silo pings every 5 s).
            var rc = new RelayClient(relayUrl, "l-" + i, (name, cmid) => tracker.Received(name, cmid), RelayIdleTimeout);
            await rc.Start(); run.Own(rc);
            var sc = new RelayClient(relayUrl, "w-" + i, (_, _) => { }, RelayIdleTimeout);
            await sc.Start(); run.Own(sc); senders.Add(sc);
        }
        return new LatencySide("relay", "Send -> receiver Message", "Send ack", tracker, pairsCount, rate, i => "l-" + i, (i, id) => senders[i].Send("l-" + i, id, "hello " + id[..6]),
            () => Stages.ServerGcWindow.Relay(relayUrl), "relay: server",
            async run =>
            {
                if (run.RelayStages is { } relayStages) Stages.Report(run.Report, "relay", tracker, await Stages.Read(relayStages), platform: false);
                return 0;
            });
    }

    /// <summary>
    /// The platform half of (a) on its own (the topology scenario): set up, warm up, one measured window of
    /// <paramref name="duration"/> s.
    /// </summary>
    private static async Task<(Latency Delivery, Latency Ack, long Lost, long Duplicates, long Gaps)> PlatformLatency(
        Run run, Platform platform, string label, int pairsCount, double rate, double duration, double warmup)
    {
        var side = await PlatformSide(run, platform, label, pairsCount, rate);
        await side.WarmUp(run, warmup);
        await side.Measure(run, duration, round: null);
        var gaps = await side.Finish(run);
        return (side.Delivery, side.Ack, side.Lost, side.Tracker.Duplicates, gaps);
    }
}
