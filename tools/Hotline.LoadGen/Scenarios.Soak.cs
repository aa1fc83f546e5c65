using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Hotline.Client;
using Microsoft.AspNetCore.SignalR;

namespace Hotline.LoadGen;

internal static partial class Scenarios
{
    /// <summary>One sample of a soak run (one per --sample-seconds, a minute by default).</summary>
    internal sealed record SoakSample(int Index, double AtSeconds, double RssMb, double GcHeapMb, double GcCommittedMb, int ThreadPoolThreads, long ThreadPoolQueued,
        int ProcessThreads, long MessagesAcked, double P99Ms, long Errors, long ServerErrors, int Waiting, int Active, int LawyersOnline);

    // ---------------------------------------------------------------------------------------------------------------
    // soak: steady realistic load for a long time; the silo's memory, GC heap, thread pool, p99 and errors per minute.
    public static async Task Soak(Run run)
    {
        var o = run.Options;
        var duration = o.Num("duration", 1800);
        var sampleSeconds = o.Num("sample-seconds", 60);
        var rate = o.Num("rate", 0.5);
        var lawyerCount = o.Int("lawyers", 12);
        var capacity = o.Int("capacity", 3);
        var handleMean = o.Num("handle-mean", 30);
        var chatRate = o.Num("chat-rate", 0.5);
        var churnSeconds = o.Num("churn-seconds", 60);
        var awaySeconds = o.Num("away-seconds", 10);
        var categories = o.List("categories", "unpaid_wages,labor_contract,dismissal,work_injury,social_insurance");
        var dialects = o.List("dialects", "mandarin,minnan,cantonese");

        using var platform = await run.Platform();
        var c = run.Counters;
        var tracker = new MessageTracker(c);
        var all = run.Latency("message (both ways)");
        var window = new Latency("window");
        var stopping = new CancellationTokenSource();
        var sessions = new ConcurrentBag<Task>();
        var samples = new List<SoakSample>();
        var windows = new List<Latency>();
        // Each sample forces a full collection first (default), so the GC heap is the live data, not garbage gen 2 has
        // not swept yet; the pause is one blocking collection a minute. --full-gc false samples passively.
        var fullGc = o.Str("full-gc", "true") != "false";

        // Every call's failure is sorted: refusals the platform is allowed to give (a consultation closed meanwhile) and
        // errors (5xx / internal_error / transport), which a soak must not show.
        void Fail(Exception e)
        {
            if (e is OperationCanceledException && stopping.IsCancellationRequested) { c.Add("cancelled at the end"); return; }
            if (e is HotlineApiException { Status: >= 500 } || e is HubException h && HubCode(h) is "internal_error" or null)
                c.Add("5xx or internal_error");
            c.Add("errors");
            c.Add("error: " + e.GetType().Name);
        }

        // Lawyers: their own accounts, so they can leave (away, finish their chats, disconnect) and come back.
        run.View.Phase = "creating lawyers";
        var lawyers = new SoakLawyer[lawyerCount];
        await Platform.ForEach(Enumerable.Range(0, lawyerCount), 8, async i =>
        {
            var username = $"soak{platform.RunId}-{i}";
            await platform.Rest.CreateLawyer(platform.AdminToken, username, "loadgen-12351", $"Soak lawyer {i}", categories, dialects, capacity);
            lawyers[i] = new SoakLawyer(username);
            await Connect(lawyers[i]);
        });

        async Task Connect(SoakLawyer l)
        {
            var login = await platform.Rest.Login(l.Username, "loadgen-12351");
            var connection = HotlineConnection.Lawyer(platform.Url, login.Token);
            connection.Messages.Added += m => tracker.Received("l:" + m.ConsultationId, m.ClientMessageId);
            connection.Offers.Added += offer => sessions.Add(Task.Run(() => LawyerSession(l, connection, offer.ConsultationId)));
            await connection.StartAsync();
            await connection.Invoke<JsonElement>("SetAvailability", ["available"]);
            l.Connection = connection;
            c.Add("lawyer connects");
        }

        async Task Chat(string receiverKey, Func<string, Task<MessageAck>> send, Func<bool> done)
        {
            while (!done() && !stopping.IsCancellationRequested)
            {
                try { await Task.Delay(TimeSpan.FromSeconds(run.NextExp(1 / chatRate)), stopping.Token); } catch (OperationCanceledException) { return; }
                if (done()) return;
                var id = tracker.Expect(receiverKey, all);
                var t0 = Clock.Now;
                try
                {
                    await send(id);
                    tracker.Acked(id);
                    Volatile.Read(ref window).Record(t0, Clock.Now);
                }
                catch (HubException e) when (HubCode(e) is "conflict" or "forbidden")
                {
                    tracker.Failed(id); c.Add("sends refused (closed)"); return;
                }
                catch (Exception e) { tracker.Failed(id); Fail(e); return; }
            }
        }

        async Task LawyerSession(SoakLawyer l, HotlineConnection connection, string id)
        {
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200 + run.NextInt(800)));
                await connection.AcceptOffer(id);
                c.Add("accepted");
            }
            catch (HubException) { c.Add("accept refused"); return; }
            catch (Exception e) { Fail(e); return; }
            Interlocked.Increment(ref l.Active);
            try
            {
                var until = Clock.Now + Ticks(run.NextExp(handleMean));
                await Chat("w:" + id, cmid => connection.SendMessage(id, "lawyer answers " + cmid[..6], cmid), () => Clock.Now >= until);
                var left = Clock.Seconds(Clock.Now, until);
                if (left > 0) try { await Task.Delay(TimeSpan.FromSeconds(left), stopping.Token); } catch (OperationCanceledException) { }
                await connection.Invoke<JsonElement>("CloseConsultation", [id, "answered", null]);
                c.Add("closed");
            }
            catch (Exception e) { Fail(e); }
            finally { Interlocked.Decrement(ref l.Active); }
        }

        async Task Arrival(int i)
        {
            var token = (await platform.Rest.CreateWorker($"soak {i}")).Token;
            await using var conn = HotlineConnection.Worker(platform.Url, token);
            var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            conn.StatusChanges.Added += s => { if (s.Status is "closed" or "abandoned") closed.TrySetResult(); };
            conn.Messages.Added += m => tracker.Received("w:" + m.ConsultationId, m.ClientMessageId);
            await conn.StartAsync();
            var consultation = await platform.Rest.OpenConsultation(token, categories[run.NextInt(categories.Length)], dialects[run.NextInt(dialects.Length)], "soak " + i);
            c.Add("consultations");
            try { await conn.Assignments.WaitAsync(a => a.ConsultationId == consultation.Id, TimeSpan.FromMinutes(5)); }
            catch (TimeoutException) { c.Add("never assigned"); return; }
            await conn.JoinConsultation(consultation.Id);
            await Chat("l:" + consultation.Id, cmid => conn.SendMessage(consultation.Id, "worker asks " + cmid[..6], cmid), () => closed.Task.IsCompleted);
            // Stay until the lawyer closes (their last messages are delivered to this connection), then leave.
            await Task.WhenAny(closed.Task, Task.Delay(TimeSpan.FromMinutes(5)));
            await Task.Delay(500);
            c.Add("workers left");
        }

        // Lawyers come and go: one at a time goes away, finishes its chats, disconnects, and comes back a bit later.
        var churn = Task.Run(async () =>
        {
            if (churnSeconds <= 0) return;
            while (!stopping.IsCancellationRequested)
            {
                try { await Task.Delay(TimeSpan.FromSeconds(churnSeconds), stopping.Token); } catch (OperationCanceledException) { return; }
                var l = lawyers[run.NextInt(lawyers.Length)];
                try
                {
                    await l.Connection!.Invoke<JsonElement>("SetAvailability", ["away"]);
                    while (Volatile.Read(ref l.Active) > 0 && !stopping.IsCancellationRequested) await Task.Delay(500);
                    await l.Connection.DisposeAsync();
                    c.Add("lawyer leaves");
                    await Task.Delay(TimeSpan.FromSeconds(awaySeconds));
                    await Connect(l);
                }
                catch (Exception e) when (e is not OperationCanceledException) { Fail(e); }
            }
        });

        // Sampling: the silo's runtime (admin diagnostics endpoint), this window's p99, errors so far.
        using var http = new HttpClient { BaseAddress = platform.Url, Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", platform.AdminToken);
        var start = Clock.Now;
        async Task Sample()
        {
            var w = Interlocked.Exchange(ref window, new Latency("window"));
            try
            {
                var rt = (await http.GetFromJsonAsync<JsonElement>("/api/admin/diagnostics/runtime" + (fullGc ? "?fullGc=true" : "")));
                var m = await platform.Rest.GetMetrics(platform.AdminToken);
                var s = new SoakSample(samples.Count + 1, Clock.Seconds(start, Clock.Now),
                    (run.Silo?.RssBytes() ?? rt.GetProperty("workingSetBytes").GetInt64()) / 1048576.0,
                    rt.GetProperty("gcHeapBytes").GetInt64() / 1048576.0, rt.GetProperty("gcCommittedBytes").GetInt64() / 1048576.0,
                    rt.GetProperty("threadPoolThreads").GetInt32(), rt.GetProperty("threadPoolQueued").GetInt64(), rt.GetProperty("processThreads").GetInt32(),
                    c.Get("messages acked"), w.PercentileMs(99), c.Get("errors"), c.Get("5xx or internal_error"),
                    m.Consultations.Queued + m.Consultations.Offered, m.Consultations.Active, m.Lawyers.Online);
                lock (samples) { samples.Add(s); windows.Add(w); }
                Console.WriteLine(Row(s));
            }
            catch (Exception e) { Fail(e); }
        }
        var sampler = Task.Run(async () =>
        {
            while (!stopping.IsCancellationRequested)
            {
                try { await Task.Delay(TimeSpan.FromSeconds(sampleSeconds), stopping.Token); } catch (OperationCanceledException) { return; }
                await Sample();
            }
        });

        run.View.Phase = "steady load";
        var arrivals = await Poisson(run, rate, duration, int.MaxValue, Arrival, "arrivals");
        stopping.Cancel();
        await sampler;
        run.View.Phase = "closing";
        // Lawyers end their chats and close first; then the workers, who wait for the close, leave.
        await WaitAll(sessions, TimeSpan.FromSeconds(60));
        await WaitAll(arrivals, TimeSpan.FromSeconds(60));
        await churn;
        run.View.Phase = "draining";
        var lost = await tracker.Drain(TimeSpan.FromSeconds(10));
        foreach (var l in lawyers) if (l.Connection is not null) await l.Connection.DisposeAsync();

        var r = run.Report;
        r.Latencies[all.Name] = all.Summary();
        r.LostMessages = lost;
        r.DuplicateMessages = tracker.Duplicates;
        r.Errors += c.Get("errors");
        r.Figures["arrivals"] = c.Get("arrivals");
        r.Figures["consultations closed"] = c.Get("closed");
        r.Figures["messages acked"] = c.Get("messages acked");
        r.Figures["messages delivered"] = c.Get("messages delivered");
        r.Figures["lawyer departures"] = c.Get("lawyer leaves");
        r.Figures["5xx or internal_error"] = c.Get("5xx or internal_error");
        AddSoakChecks(r, samples, windows, sampleSeconds);
        r.Notes.Add($"Steady load: Poisson arrivals {rate}/s over {categories.Length} categories x {dialects.Length} dialects; {lawyerCount} lawyers (capacity {capacity}, all skills); " +
                    $"accept after 0.2-1 s; exponential handle mean {handleMean} s; chat {chatRate} msg/s per side; every {churnSeconds} s one lawyer goes away, " +
                    $"finishes its chats, disconnects and is back {awaySeconds} s later; workers disconnect when closed. Samples every {sampleSeconds} s.");
        var table = new StringBuilder("Samples:\n\n| # | s | RSS MB | GC heap MB | GC committed MB | pool threads | pool queued | threads | acked | p99 ms | errors | 5xx | waiting | active | lawyers |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        foreach (var s in samples) table.AppendLine(Row(s));
        r.Notes.Add(table.ToString());
    }

    /// <summary>
    /// The contract code of a hub error: the server's <c>HubException("code: detail")</c> reaches the client as
    /// "An unexpected error occurred invoking 'M' on the server. HubException: code: detail". Null: no code (a real failure).
    /// </summary>
    internal static string? HubCode(HubException e)
    {
        const string marker = "HubException: ";
        var at = e.Message.IndexOf(marker, StringComparison.Ordinal);
        var rest = at >= 0 ? e.Message[(at + marker.Length)..] : e.Message;
        var colon = rest.IndexOf(':');
        return colon > 0 && rest[..colon].All(ch => ch is '_' or (>= 'a' and <= 'z')) ? rest[..colon] : null;
    }

    private static string Row(SoakSample s) => string.Create(CultureInfo.InvariantCulture,
        $"| {s.Index} | {s.AtSeconds:0} | {s.RssMb:0.0} | {s.GcHeapMb:0.0} | {s.GcCommittedMb:0.0} | {s.ThreadPoolThreads} | {s.ThreadPoolQueued} | {s.ProcessThreads} | {s.MessagesAcked} | {s.P99Ms:0.0} | {s.Errors} | {s.ServerErrors} | {s.Waiting} | {s.Active} | {s.LawyersOnline} |");

    /// <summary>
    /// The soak's pass marks: RSS and GC heap growth from sample 5 to the last (at most 10 %), the p99 of every message of
    /// the last five samples against the p99 of samples 5-10 (within 20 %). RSS and heap are averaged over three samples at
    /// each end.
    /// </summary>
    private static void AddSoakChecks(RunReport r, IReadOnlyList<SoakSample> samples, IReadOnlyList<Latency> windows, double sampleSeconds)
    {
        if (samples.Count < 10) { r.Notes.Add($"only {samples.Count} samples: growth checks need at least 10"); return; }
        var early = samples.Skip(4).Take(3).ToList();          // samples 5-7
        var late = samples.TakeLast(3).ToList();
        double Growth(Func<SoakSample, double> f) => (late.Average(f) / early.Average(f) - 1) * 100;
        r.Figures["RSS growth sample 5 -> end (%)"] = Growth(s => s.RssMb);
        r.Figures["GC heap growth sample 5 -> end (%)"] = Growth(s => s.GcHeapMb);
        var p99Early = Latency.Merge("samples 5-10", windows.Skip(4).Take(6)).PercentileMs(99);
        var p99Late = Latency.Merge("last 5 samples", windows.TakeLast(5)).PercentileMs(99);
        r.Figures["p99 samples 5-10 (ms)"] = p99Early;
        r.Figures["p99 last 5 samples (ms)"] = p99Late;
        r.Figures["p99 last 5 / samples 5-10"] = p99Late / p99Early;
        r.Notes.Add(string.Create(CultureInfo.InvariantCulture, $"one sample = {sampleSeconds} s; RSS sample 5 = {samples[4].RssMb:0.0} MB, last = {samples[^1].RssMb:0.0} MB"));
    }

    private sealed class SoakLawyer(string username)
    {
        public string Username { get; } = username;
        public HotlineConnection? Connection;
        public int Active;
    }
}
