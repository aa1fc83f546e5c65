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
            await conn.StartAsync();
            conns[i] = (tokens[i], conn);
            run.Counters.Add("worker connections");
        });
        return [.. conns];
    }

    /// <summary>Open-loop sends at <paramref name="rate"/>/s until <paramref name="until"/>; each send's ack is recorded.</summary>
    private static async Task SendLoop(Run run, MessageTracker tracker, double rate, long until, string receiverKey, Latency delivery, Latency ack, Func<string, Task> send)
    {
        var pending = new List<Task>();
        while (true)
        {
            await Task.Delay(TimeSpan.FromSeconds(run.NextExp(1 / rate)));
            if (Clock.Now >= until) break;
            var id = tracker.Expect(receiverKey, delivery);
            pending.Add(SendOne(tracker, id, ack, send));
        }
        await WaitAll(pending, TimeSpan.FromSeconds(30));
    }

    private static async Task SendOne(MessageTracker tracker, string id, Latency ack, Func<string, Task> send)
    {
        var t = Clock.Now;
        try
        {
            await send(id);
            if (tracker.Recording) ack.Record(t, Clock.Now);
            tracker.Acked(id);
        }
        catch (Exception) { tracker.Failed(id); }
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
        var c = run.Counters;
        var r = run.Report;

        // Platform.
        using var platform = await run.Platform();
        var relayUrl = await run.RelayUrl();
        var (pDelivery, pAck, pLost, pDuplicates, gaps) = await PlatformLatency(run, platform, "platform", pairsCount, rate, duration, warmup);

        // Relay: the same number of senders and receivers, the same rate.
        run.View.Phase = "relay: connecting";
        var rTracker = new MessageTracker(c);
        var rDelivery = run.Latency("relay: Send -> receiver Message");
        var rAck = run.Latency("relay: Send ack");
        var receivers = new List<RelayClient>();
        var senders = new List<RelayClient>();
        for (var i = 0; i < pairsCount; i++)
        {
            var rc = new RelayClient(relayUrl, "l-" + i, (name, cmid) => rTracker.Received(name, cmid));
            await rc.Start(); run.Own(rc); receivers.Add(rc);
            var sc = new RelayClient(relayUrl, "w-" + i, (_, _) => { });
            await sc.Start(); run.Own(sc); senders.Add(sc);
        }
        {
            // Warm-up on the relay too (JIT, connection pools), with the relay's own histograms.
            run.View.Phase = "relay: warm-up";
            rTracker.Recording = false;
            var wUntil = Clock.Now + Ticks(warmup);
            await Task.WhenAll(Enumerable.Range(0, pairsCount).Select(i => SendLoop(run, rTracker, rate, wUntil, "l-" + i, rDelivery, rAck, id => senders[i].Send("l-" + i, id, "hello " + id[..6]))));
            await rTracker.Drain(TimeSpan.FromSeconds(5));
            rTracker.Recording = true;
            run.View.Phase = "relay: measuring";
            var gc = Stages.GcWindow.StartClean();
            var relayGc = await Stages.ServerGcWindow.Relay(relayUrl);
            var until = Clock.Now + Ticks(duration);
            await Task.WhenAll(Enumerable.Range(0, pairsCount).Select(i => SendLoop(run, rTracker, rate, until, "l-" + i, rDelivery, rAck, id => senders[i].Send("l-" + i, id, "hello " + id[..6]))));
            gc.Report(r, "relay");
            if (relayGc is not null) await relayGc.Report(r, "relay: server");
        }
        var rLost = await rTracker.Drain(TimeSpan.FromSeconds(10));
        if (run.RelayStages is { } relayStages) Stages.Report(r, "relay", rTracker, await Stages.Read(relayStages), platform: false);

        r.Baseline = $"{run.RelayKind} SignalR relay (tools/Hotline.Relay, spawned at {relayUrl}), same client library and settings, {pairsCount} sender/receiver pairs at the same rate";
        r.Latencies["worker -> lawyer (SendMessage -> Message)"] = pDelivery.Summary();
        r.Latencies["SendMessage ack (durable)"] = pAck.Summary();
        r.BaselineLatencies["relay Send -> Message"] = rDelivery.Summary();
        r.BaselineLatencies["relay Send ack"] = rAck.Summary();
        var p = pDelivery.Summary();
        var b = rDelivery.Summary();
        r.Ratios["delivery p50"] = p.P50Ms / b.P50Ms;
        r.Ratios["delivery p99"] = p.P99Ms / b.P99Ms;
        r.Ratios["delivery mean"] = p.MeanMs / b.MeanMs;
        // Issue 14's targets against the bare relay (1 = met).
        r.Figures["target met: p50 ratio <= 2"] = p.P50Ms / b.P50Ms <= 2 ? 1 : 0;
        r.Figures["target met: p99 ratio <= 1.5"] = p.P99Ms / b.P99Ms <= 1.5 ? 1 : 0;
        r.LostMessages = pLost + rLost;
        r.DuplicateMessages = pDuplicates + rTracker.Duplicates;
        r.SeqGaps = gaps;
        r.Errors += c.Get("errors");
        r.Notes.Add($"{pairsCount} worker/lawyer pairs, each worker sending Poisson at {rate} msg/s (open loop) for {duration} s after {warmup} s warm-up; total offered {pairsCount * rate} msg/s. Platform first, then relay, same process and clients.");
    }

    /// <summary>
    /// The platform half of (a): <paramref name="pairsCount"/> lawyers and workers in active consultations, each worker
    /// sending Poisson at <paramref name="rate"/>/s, warm-up then <paramref name="duration"/> s measured.
    /// </summary>
    private static async Task<(Latency Delivery, Latency Ack, long Lost, long Duplicates, long Gaps)> PlatformLatency(
        Run run, Platform platform, string label, int pairsCount, double rate, double duration, double warmup)
    {
        var c = run.Counters;
        var tracker = new MessageTracker(c);
        var delivery = run.Latency(label + ": SendMessage -> lawyer Message");
        var ack = run.Latency(label + ": SendMessage ack");
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

        Task Loop(Pair p, long until) => SendLoop(run, tracker, rate, until, "l:" + p.ConsultationId, delivery, ack,
            id => p.Worker.SendMessage(p.ConsultationId, "hello " + id[..6], id));
        run.View.Phase = label + ": warm-up";
        tracker.Recording = false;
        var warmUntil = Clock.Now + Ticks(warmup);
        await Task.WhenAll(pairs.Select(p => Loop(p, warmUntil)));
        await tracker.Drain(TimeSpan.FromSeconds(5));
        tracker.Recording = true;
        run.View.Phase = label + ": measuring";
        var gc = Stages.GcWindow.StartClean();
        var siloGc = await Stages.ServerGcWindow.Silo(platform);
        var until = Clock.Now + Ticks(duration);
        await Task.WhenAll(pairs.Select(p => Loop(p, until)));
        gc.Report(run.Report, label);
        // The topology scenario passes its mode as the label: there the clients talk to a front or a combined process.
        if (siloGc is not null) await siloGc.Report(run.Report, label == "platform" ? "platform: silo" : label + ": web process");
        var lost = await tracker.Drain(TimeSpan.FromSeconds(10));
        if (run.SiloStages is { } siloStages) Stages.Report(run.Report, label, tracker, await Stages.Read(siloStages), platform: true);
        var gaps = pairs.Sum(p => Gaps(p.Worker, [p.ConsultationId])) + lawyers.Sum(l => Gaps(l.Connection, pairs.Select(p => p.ConsultationId)));
        return (delivery, ack, lost, tracker.Duplicates, gaps);
    }
}
