using System.Collections.Concurrent;
using System.Diagnostics;
using Hotline.Client;
using Microsoft.AspNetCore.SignalR;

namespace Hotline.LoadGen;

internal static partial class Scenarios
{
    private static long Ticks(double seconds) => (long)(seconds * Stopwatch.Frequency);

    /// <summary>Open-loop Poisson arrivals: calls <paramref name="arrival"/> (not awaited) at exponential gaps; bounded in count and time.</summary>
    private static async Task<List<Task>> Poisson(Run run, double rate, double durationSeconds, int maxCount, Func<int, Task> arrival, string counter)
    {
        var tasks = new List<Task>();
        var start = Clock.Now;
        double next = 0;
        for (var i = 0; i < maxCount; i++)
        {
            next += run.NextExp(1 / rate);
            if (next > durationSeconds) break;
            var wait = next - Clock.Seconds(start, Clock.Now);
            if (wait > 0.0015) await Task.Delay(TimeSpan.FromSeconds(wait));
            var n = i;
            tasks.Add(Task.Run(async () =>
            {
                try { await arrival(n); }
                catch (Exception e) { run.Counters.Add("errors"); run.Counters.Add("error: " + e.GetType().Name); }
            }));
            run.Counters.Add(counter);
        }
        return tasks;
    }

    private static async Task WaitAll(IEnumerable<Task> tasks, TimeSpan limit)
    {
        var all = Task.WhenAll(tasks);
        await Task.WhenAny(all, Task.Delay(limit));
    }

    private static bool IsServerAnswer(Exception e) => e is HubException;

    /// <summary>Seq gaps seen on a connection's transcripts: for each consultation, the highest seq minus the number of distinct seqs.</summary>
    private static long Gaps(HotlineConnection c, IEnumerable<string> consultationIds) => consultationIds.Sum(c.MissingSeqs);

    // ---------------------------------------------------------------------------------------------------------------
    // mixed: the general workload (and the smoke test's).
    public static async Task Mixed(Run run)
    {
        var o = run.Options;
        var duration = o.Num("duration", 20);
        var rate = o.Num("rate", 2);
        var maxArrivals = o.Int("max-arrivals", 100_000);
        var categories = o.List("categories", "unpaid_wages,labor_contract,dismissal,work_injury,social_insurance");
        var dialects = o.List("dialects", "mandarin,minnan,cantonese");
        var lawyerSkills = o.List("lawyer-skills", string.Join(',', categories));
        var lawyerDialects = o.List("lawyer-dialects", string.Join(',', dialects));
        var lawyerCount = o.Int("lawyers", 10);
        var capacity = o.Int("capacity", 3);
        var acceptDelay = o.Num("accept-delay-ms", 200) / 1000;
        var handleMean = o.Num("handle-mean", 5);
        var chatRate = o.Num("chat-rate", 1);

        using var platform = await run.Platform();
        var c = run.Counters;
        var tracker = new MessageTracker(c);
        var routing = run.Latency("created -> Offer");
        var wait = run.Latency("created -> Assigned (worker)");
        var w2l = run.Latency("message worker -> lawyer");
        var l2w = run.Latency("message lawyer -> worker");
        var created = new ConcurrentDictionary<string, long>();
        var offered = new ConcurrentDictionary<string, long>();
        var offers = new ConcurrentDictionary<(string ConsultationId, int Lawyer, DateTimeOffset ExpiresAt), byte>();
        var workers = new ConcurrentDictionary<string, HotlineConnection>();
        var stopping = new CancellationTokenSource();
        var handling = new ConcurrentBag<Task>();

        run.View.Phase = "creating lawyers";
        var lawyers = await platform.CreateLawyers(lawyerCount, lawyerSkills, lawyerDialects, capacity, 8, c);
        foreach (var l in lawyers)
        {
            run.Own(l.Connection);
            l.Connection.Messages.Added += m => tracker.Received("l:" + m.ConsultationId, m.ClientMessageId);
            l.Connection.Offers.Added += offer =>
            {
                c.Add("offers");
                offered.TryAdd(offer.ConsultationId, Clock.Now);
                // One session per offer: the same offer (lawyer, deadline) shown twice is counted, not taken twice; an offer
                // made anew (to another lawyer, or with a new deadline) is a new one.
                if (offers.TryAdd((offer.ConsultationId, l.Index, offer.ExpiresAt), 0)) handling.Add(Task.Run(() => LawyerSession(l, offer.ConsultationId)));
                else c.Add("offers repeated");
            };
        }

        async Task Chat(string receiverKey, Func<string, Task<MessageAck>> send, Latency latency, Func<bool> done)
        {
            if (chatRate <= 0) return;
            while (!done() && !stopping.IsCancellationRequested)
            {
                try { await Task.Delay(TimeSpan.FromSeconds(run.NextExp(1 / chatRate)), stopping.Token); } catch (OperationCanceledException) { return; }
                if (done()) return;
                var id = tracker.Expect(receiverKey, latency);
                try { await send(id); tracker.Acked(id); }
                catch (Exception e) when (IsServerAnswer(e)) { tracker.Failed(id); c.Add("sends refused (closed)"); return; }
            }
        }

        async Task LawyerSession(SimLawyer l, string id)
        {
            if (acceptDelay > 0) await Task.Delay(TimeSpan.FromSeconds(acceptDelay));
            try { await l.Accept(id); c.Add("accepted"); }
            catch (Exception e) when (IsServerAnswer(e)) { c.Add("accept refused"); return; }
            var until = Clock.Now + Ticks(run.NextExp(handleMean));
            await Chat("w:" + id, cmid => l.Connection.SendMessage(id, "lawyer says hi " + cmid[..6], cmid), l2w, () => Clock.Now >= until);
            var left = Clock.Seconds(Clock.Now, until);
            if (left > 0 && !stopping.IsCancellationRequested)
                try { await Task.Delay(TimeSpan.FromSeconds(left), stopping.Token); } catch (OperationCanceledException) { }
            await l.Close(id);
            c.Add("closed");
        }

        async Task Arrival(int i)
        {
            var token = (await platform.Rest.CreateWorker($"loadgen {i}")).Token;
            var conn = Run.Own(run, HotlineConnection.Worker(platform.Url, token));
            await conn.StartAsync();
            var closed = false;
            conn.StatusChanges.Added += s => { if (s.Status is "closed" or "abandoned") closed = true; };
            conn.Messages.Added += m => tracker.Received("w:" + m.ConsultationId, m.ClientMessageId);
            var t0 = Clock.Now;
            var consultation = await platform.Rest.OpenConsultation(token, categories[run.NextInt(categories.Length)], dialects[run.NextInt(dialects.Length)], "load test " + i);
            created[consultation.Id] = t0;
            workers[consultation.Id] = conn;
            c.Add("consultations");
            try { await conn.Assignments.WaitAsync(a => a.ConsultationId == consultation.Id, TimeSpan.FromSeconds(duration + 30)); }
            catch (TimeoutException) { c.Add("never assigned"); return; }
            wait.Record(t0, Clock.Now);
            await conn.JoinConsultation(consultation.Id);
            await Chat("l:" + consultation.Id, cmid => conn.SendMessage(consultation.Id, "worker asks " + cmid[..6], cmid), w2l, () => closed);
        }

        run.View.Phase = "arrivals";
        var arrivals = await Poisson(run, rate, duration, maxArrivals, Arrival, "arrivals");
        run.View.Phase = "closing";
        stopping.Cancel();
        await WaitAll(arrivals, TimeSpan.FromSeconds(15));
        await WaitAll(handling, TimeSpan.FromSeconds(15));
        run.View.Phase = "draining";
        var lost = await tracker.Drain(TimeSpan.FromSeconds(5));

        foreach (var (id, t0) in created) if (offered.TryGetValue(id, out var t1)) routing.Record(t0, t1);
        long gaps = 0;
        foreach (var (id, w) in workers) gaps += Gaps(w, [id]);
        foreach (var l in lawyers) gaps += Gaps(l.Connection, workers.Keys);

        var r = run.Report;
        foreach (var l in new[] { routing, wait, w2l, l2w }) r.Latencies[l.Name] = l.Summary();
        r.LostMessages = lost;
        r.DuplicateMessages = tracker.Duplicates;
        r.SeqGaps = gaps;
        r.Errors += c.Get("errors");
        r.Figures["arrivals"] = c.Get("arrivals");
        r.Figures["consultations created"] = created.Count;
        r.Figures["offers received"] = offered.Count;
        r.Figures["offers repeated"] = c.Get("offers repeated");
        r.Figures["accepted"] = c.Get("accepted");
        r.Figures["closed by lawyers"] = c.Get("closed");
        r.Figures["messages acked"] = c.Get("messages acked");
        r.Figures["messages delivered"] = c.Get("messages delivered");
        r.Notes.Add($"{lawyerCount} lawyers (capacity {capacity}, skills {string.Join('/', lawyerSkills)}, dialects {string.Join('/', lawyerDialects)}); Poisson arrivals {rate}/s for {duration} s over {categories.Length} categories x {dialects.Length} dialects; accept after {acceptDelay * 1000} ms; exponential handle mean {handleMean} s; chat {chatRate} msg/s per side.");
    }
}
