using System.Collections.Concurrent;
using System.Globalization;
using Hotline.Client;

namespace Hotline.LoadGen;

internal static partial class Scenarios
{
    // (b) routing: POST /api/consultations -> Offer at the lawyer, at each --rate; baseline GET /api/catalog at the same rate just before.
    public static async Task Routing(Run run)
    {
        var o = run.Options;
        var rates = o.List("rate", "50,200").Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        var duration = o.Num("duration", 25);
        var lawyerCount = o.Int("lawyers", 50);
        var capacity = o.Int("capacity", 10);
        var handleMean = o.Num("handle-mean", 0.2);
        var categories = o.List("categories", "unpaid_wages,labor_contract,dismissal");
        var dialects = o.List("dialects", "mandarin,minnan");
        var c = run.Counters;
        var r = run.Report;

        using var platform = await run.Platform();
        var offered = new ConcurrentDictionary<string, long>();
        var waited = new ConcurrentDictionary<string, double>();
        run.View.Phase = "lawyers";
        var lawyers = await platform.CreateLawyers(lawyerCount, categories, dialects, capacity, 8, c);
        foreach (var l in lawyers)
        {
            run.Own(l.Connection);
            l.Connection.Offers.Added += offer =>
            {
                offered.TryAdd(offer.ConsultationId, Clock.Now);
                waited[offer.ConsultationId] = offer.WaitedSeconds;
                c.Add("offers");
                _ = Task.Run(async () =>
                {
                    try
                    {
                        await l.Accept(offer.ConsultationId);
                        c.Add("accepted");
                        await Task.Delay(TimeSpan.FromSeconds(run.NextExp(handleMean)));
                        await l.Close(offer.ConsultationId);
                        c.Add("closed");
                    }
                    catch (Exception) { c.Add("errors"); }
                });
            };
        }
        r.Baseline = "GET /api/catalog round trip (same HttpClient, same Poisson rate, same silo, measured just before each routing phase)";

        foreach (var rate in rates)
        {
            var label = $"{rate:0}/s";
            var tokensNeeded = (int)(rate * duration * 1.3) + 50;
            run.View.Phase = $"{label}: worker tokens";
            var tokens = await platform.CreateWorkerTokens(tokensNeeded, 16, c);

            run.View.Phase = $"{label}: baseline GET /api/catalog";
            var catalog = run.Latency($"{label} GET /api/catalog");
            var baselineTasks = await Poisson(run, rate, duration, tokensNeeded, async _ =>
            {
                var t = Clock.Now;
                await platform.Rest.Send<System.Text.Json.JsonElement>(HttpMethod.Get, "/api/catalog", null);
                catalog.Record(t, Clock.Now);
            }, "catalog requests");
            await WaitAll(baselineTasks, TimeSpan.FromSeconds(30));

            run.View.Phase = $"{label}: routing";
            var routing = run.Latency($"{label} POST -> Offer");
            var post = run.Latency($"{label} POST round trip");
            var created = new ConcurrentDictionary<string, long>();
            var start = Clock.Now;
            var arrivals = await Poisson(run, rate, duration, tokensNeeded, async i =>
            {
                var t0 = Clock.Now;
                var consultation = await platform.Rest.OpenConsultation(tokens[i], categories[run.NextInt(categories.Length)], dialects[run.NextInt(dialects.Length)], "routing load " + i);
                post.Record(t0, Clock.Now);
                created[consultation.Id] = t0;
            }, "arrivals");
            var arrivalSpan = Clock.Seconds(start, Clock.Now);
            await WaitAll(arrivals, TimeSpan.FromSeconds(30));
            var drainUntil = Clock.Now + Ticks(15);
            while (created.Keys.Any(id => !offered.ContainsKey(id)) && Clock.Now < drainUntil) await Task.Delay(100);
            var serverWait = run.Latency($"{label} server waitedSeconds");
            var missing = 0;
            foreach (var (id, t0) in created)
            {
                if (offered.TryGetValue(id, out var t1)) { routing.Record(t0, t1); serverWait.RecordMs(waited[id] * 1000); }
                else missing++;
            }
            r.Latencies[routing.Name] = routing.Summary();
            r.Latencies[post.Name] = post.Summary();
            r.Latencies[serverWait.Name] = serverWait.Summary();
            r.BaselineLatencies[catalog.Name] = catalog.Summary();
            r.Ratios[$"{label} p50 (POST->Offer / GET catalog)"] = routing.PercentileMs(50) / catalog.PercentileMs(50);
            r.Ratios[$"{label} p99 (POST->Offer / GET catalog)"] = routing.PercentileMs(99) / catalog.PercentileMs(99);
            r.Figures[$"{label} consultations created"] = created.Count;
            r.Figures[$"{label} achieved arrival rate /s"] = created.Count / arrivalSpan;
            r.Figures[$"{label} created without an Offer within 15 s"] = missing;
            // Let this phase's consultations close before the next rate.
            await Task.Delay(TimeSpan.FromSeconds(Math.Min(5, handleMean * 5 + 1)));
        }
        r.Errors += c.Get("errors");
        r.Notes.Add($"{lawyerCount} lawyers x capacity {capacity} with every category and dialect ({string.Join('/', categories)}; {string.Join('/', dialects)}), accept at once on Offer, close after Exp({handleMean} s). Each rate runs {duration} s of Poisson arrivals, each from its own pre-created worker token. Latency = client clock from just before POST /api/consultations to the Offer event at the lawyer (the Offer may arrive before the POST answer).");
    }

    // ---------------------------------------------------------------------------------------------------------------
    // (c) M/M/N against Erlang C.
    private sealed class Arrival
    {
        public int Index;
        public long T0, PostDone, OfferRecv, AcceptAck, CloseAck;
        public double ServerWaited = double.NaN, Handle;
        public string? Id;
    }

    public static async Task Erlang(Run run)
    {
        var o = run.Options;
        var n = o.Int("servers", 20);
        var a = o.Num("erlangs", 17);
        var h = o.Num("handle-mean", 2);
        var count = o.Int("arrivals", 2500);
        var eps = o.Num("epsilon", 0.05);
        var batches = o.Int("batches", 20);
        var warmupFraction = o.Num("warmup-fraction", 0.1);
        var lambda = a / h;
        var maxSeconds = o.Num("max-seconds", count / lambda * 1.3 + 30);
        var c = run.Counters;
        var r = run.Report;

        using var platform = await run.Platform();
        var byId = new ConcurrentDictionary<string, Arrival>();
        var offers = new ConcurrentDictionary<string, (long At, double Waited, SimLawyer L)>();
        var sessions = new ConcurrentBag<Task>();

        async Task Serve(SimLawyer l, string id)
        {
            // Wait for the POST answer so the record exists (the Offer can overtake it).
            Arrival? rec = null;
            for (var i = 0; i < 2000 && !byId.TryGetValue(id, out rec); i++) await Task.Delay(1);
            try { await l.Accept(id); }
            catch (Exception) { c.Add("accept failed"); return; }
            var accepted = Clock.Now;
            c.Add("accepted");
            var handle = run.NextExp(h);
            await Task.Delay(TimeSpan.FromSeconds(handle));
            await l.Close(id);
            var closed = Clock.Now;
            c.Add("closed");
            if (rec is not null) { rec.AcceptAck = accepted; rec.CloseAck = closed; rec.Handle = handle; }
        }

        run.View.Phase = "lawyers";
        var lawyers = await platform.CreateLawyers(n, ["unpaid_wages"], ["mandarin"], 1, 8, c);
        foreach (var l in lawyers)
        {
            run.Own(l.Connection);
            l.Connection.Offers.Added += offer =>
            {
                offers.TryAdd(offer.ConsultationId, (Clock.Now, offer.WaitedSeconds, l));
                c.Add("offers");
                sessions.Add(Task.Run(() => Serve(l, offer.ConsultationId)));
            };
        }
        run.View.Phase = "worker tokens";
        var tokens = await platform.CreateWorkerTokens(count, 16, c);
        var records = Enumerable.Range(0, count).Select(i => new Arrival { Index = i }).ToArray();

        run.View.Phase = $"M/M/{n}: lambda {lambda:0.##}/s, h {h} s";
        var arrivals = await Poisson(run, lambda, maxSeconds, count, async i =>
        {
            var rec = records[i];
            rec.T0 = Clock.Now;
            var consultation = await platform.Rest.OpenConsultation(tokens[i], "unpaid_wages", "mandarin", "erlang " + i);
            rec.PostDone = Clock.Now;
            rec.Id = consultation.Id;
            byId[consultation.Id] = rec;
        }, "arrivals");
        run.View.Phase = "draining";
        await WaitAll(arrivals, TimeSpan.FromSeconds(30));
        var until = Clock.Now + Ticks(Math.Max(30, h * 15));
        while (records.Any(x => x.Id is not null && x.CloseAck == 0) && Clock.Now < until) await Task.Delay(200);

        foreach (var rec in records)
            if (rec.Id is not null && offers.TryGetValue(rec.Id, out var off)) { rec.OfferRecv = off.At; rec.ServerWaited = off.Waited; }
        var done = records.Where(x => x.Id is not null && x.AcceptAck != 0 && x.OfferRecv != 0).OrderBy(x => x.T0).ToList();
        var skip = (int)(done.Count * warmupFraction);
        var sample = done.Skip(skip).ToList();
        var first = records.Where(x => x.T0 != 0).Min(x => x.T0);
        var last = records.Where(x => x.T0 != 0).Max(x => x.T0);
        var arrived = records.Count(x => x.T0 != 0);
        var lambdaMeasured = (arrived - 1) / Clock.Seconds(first, last);

        var wClient = sample.Select(x => Clock.Seconds(x.T0, x.AcceptAck)).ToList();
        var wServer = sample.Select(x => x.ServerWaited).ToList();
        var toOffer = sample.Select(x => Clock.Seconds(x.T0, x.OfferRecv)).ToList();
        var acceptRtt = sample.Select(x => Clock.Seconds(x.OfferRecv, x.AcceptAck)).ToList();
        var occupancy = sample.Where(x => x.CloseAck != 0).Select(x => Clock.Seconds(x.OfferRecv, x.CloseAck)).ToList();
        var handles = sample.Where(x => x.CloseAck != 0).Select(x => x.Handle).ToList();
        // Routing overhead when nobody waits: the fastest quarter of created->Offer times among consultations the server offered at once.
        var immediate = sample.Where(x => x.ServerWaited < 0.005).Select(x => Clock.Seconds(x.T0, x.OfferRecv)).OrderBy(x => x).ToList();
        var routingOverhead = immediate.Count > 0 ? immediate.Average() : double.NaN;
        var offerOverhead = routingOverhead + acceptRtt.Average();
        var wCorrected = sample.Select(x => Math.Max(0, Clock.Seconds(x.T0, x.AcceptAck) - offerOverhead)).ToList();

        var mClient = Statistics.BatchMeans(wClient, batches);
        var mServer = Statistics.BatchMeans(wServer, batches);
        var mCorrected = Statistics.BatchMeans(wCorrected, batches);
        var pClient = Statistics.BatchMeans(wClient.Select(w => w > eps + offerOverhead ? 1.0 : 0.0).ToList(), batches);
        var pServer = Statistics.BatchMeans(wServer.Select(w => w > eps ? 1.0 : 0.0).ToList(), batches);
        var pServer0 = Statistics.BatchMeans(wServer.Select(w => w > 0.005 ? 1.0 : 0.0).ToList(), batches);

        var cNominal = Statistics.ErlangC(n, a);
        var wNominal = Statistics.ErlangMeanWait(n, a, h);
        var pNominal = Statistics.ErlangPWaitAbove(n, a, h, eps);
        var hEff = occupancy.Average();
        var aEff = lambdaMeasured * hEff;
        var wEff = Statistics.ErlangMeanWait(n, aEff, hEff);
        var pEff = Statistics.ErlangPWaitAbove(n, aEff, hEff, eps);
        var aMeas = lambdaMeasured * handles.Average();
        var wMeas = Statistics.ErlangMeanWait(n, aMeas, handles.Average());

        r.Baseline = $"Erlang C for N={n}, A={a}, h={h} s: C={cNominal:0.0000}, mean wait {wNominal:0.0000} s, P(W>{eps}s)={pNominal:0.0000}";
        void Est(string k, Estimate e) { r.Figures[k] = e.Mean; r.Figures[k + " CI95 low"] = e.Low; r.Figures[k + " CI95 high"] = e.High; }
        r.Figures["arrivals"] = arrived;
        r.Figures["served (accepted)"] = done.Count;
        r.Figures["warm-up arrivals discarded"] = skip;
        r.Figures["lambda nominal /s"] = lambda;
        r.Figures["lambda measured /s"] = lambdaMeasured;
        r.Figures["handle mean sampled (s)"] = handles.Average();
        r.Figures["occupancy per consultation, Offer received -> Close acked (s)"] = hEff;
        r.Figures["overhead: created -> Offer when not queued (s)"] = routingOverhead;
        r.Figures["overhead: Offer -> AcceptOffer ack (s)"] = acceptRtt.Average();
        r.Figures["overhead: close round trip etc. (occupancy - handle) (s)"] = hEff - handles.Average();
        Est("mean wait, client (POST start -> AcceptOffer ack) (s)", mClient);
        Est("mean wait, server waitedSeconds (created -> offered) (s)", mServer);
        Est("mean wait, client minus offer overheads (s)", mCorrected);
        Est($"P(server waitedSeconds > {eps} s)", pServer);
        Est("P(server waitedSeconds > 5 ms)", pServer0);
        Est($"P(client wait > {eps} s + offer overheads)", pClient);
        r.Figures["Erlang C(N,A) nominal"] = cNominal;
        r.Figures["Erlang mean wait nominal (s)"] = wNominal;
        r.Figures[$"Erlang P(W>{eps}s) nominal"] = pNominal;
        r.Figures["A with measured lambda and sampled handle"] = aMeas;
        r.Figures["Erlang mean wait, measured lambda and sampled handle (s)"] = wMeas;
        r.Figures["A effective (measured lambda x occupancy)"] = aEff;
        r.Figures["Erlang mean wait at A effective (s)"] = wEff;
        r.Figures[$"Erlang P(W>{eps}s) at A effective"] = pEff;
        r.Ratios["mean wait server / Erlang nominal"] = mServer.Mean / wNominal;
        r.Ratios["mean wait client / Erlang nominal"] = mClient.Mean / wNominal;
        r.Ratios["mean wait client-minus-overheads / Erlang nominal"] = mCorrected.Mean / wNominal;
        r.Ratios["mean wait server / Erlang (measured lambda, sampled handle)"] = mServer.Mean / wMeas;
        r.Ratios["mean wait server / Erlang at A effective"] = mServer.Mean / wEff;
        r.Ratios[$"P(W>{eps}) server / Erlang nominal"] = pServer.Mean / pNominal;
        r.Ratios[$"P(W>{eps}) server / Erlang at A effective"] = pServer.Mean / pEff;
        r.Latencies["created -> Offer (all)"] = Summ(toOffer);
        r.Latencies["Offer -> AcceptOffer ack"] = Summ(acceptRtt);
        r.Latencies["client wait POST -> accepted"] = Summ(wClient);
        r.Errors += c.Get("errors") + c.Get("accept failed");
        r.Notes.Add($"M/M/{n}: one category, one dialect, {n} lawyers of capacity 1 accepting immediately on Offer, handle Exp({h} s) counted from the AcceptOffer ack (AHT = accepted until closed), Poisson arrivals at lambda = {a}/{h} = {lambda:0.###}/s, {count} arrivals, no abandonment. Estimates: batch means ({batches} batches, first {warmupFraction:P0} discarded), 95 % CI.");
        r.Notes.Add("Server waitedSeconds = created -> offered, from the Offer event (server clock). Client wait = POST start -> AcceptOffer ack (load generator clock) and includes REST, push and the accept round trip. 'A effective' uses the lawyer's whole occupancy (Offer received -> Close acknowledged) as the service time, since the router holds the lawyer for all of it.");
    }

    private static LatencySummary Summ(IEnumerable<double> seconds)
    {
        var l = new Latency("tmp");
        foreach (var s in seconds) l.RecordMs(s * 1000);
        return l.Summary();
    }
}
