using Hotline.Client;

namespace Hotline.LoadGen;

internal static partial class Scenarios
{
    private static async Task<long> SettledRss(Func<long> rss)
    {
        long sum = 0;
        for (var i = 0; i < 3; i++) { await Task.Delay(1000); sum += rss(); }
        return sum / 3;
    }

    /// <summary>
    /// Closed loop: each sender sends, awaits the ack, sends again, until the deadline. A failed send is counted under
    /// "<paramref name="label"/>: send failed" (and by exception type) and the sender backs off (100 ms doubling to 2 s),
    /// so that a broken connection is not hammered. Returns messages delivered per second in the window.
    /// </summary>
    private static async Task<double> ClosedLoop(Run run, MessageTracker tracker, int senders, double seconds, Func<int, (string Receiver, Func<string, Task> Send)> pair, Latency delivery, string counter, string label)
    {
        var c = run.Counters;
        tracker.Recording = true;
        var before = c.Get(counter);
        var start = Clock.Now;
        var until = start + Ticks(seconds);
        await Task.WhenAll(Enumerable.Range(0, senders).Select(i => Task.Run(async () =>
        {
            var (receiver, send) = pair(i);
            var backoff = 100;
            while (Clock.Now < until)
            {
                var id = tracker.Expect(receiver, delivery);
                try { await send(id); tracker.Acked(id); backoff = 100; }
                catch (Exception e)
                {
                    tracker.Failed(id);
                    c.Add($"{label}: send failed");
                    c.Add($"{label}: send failed: {e.GetType().Name}");
                    var left = Clock.Seconds(Clock.Now, until);
                    if (left <= 0) break;
                    await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(backoff, left * 1000)));
                    backoff = Math.Min(backoff * 2, 2000);
                }
            }
        })));
        var delivered = c.Get(counter) - before;
        return delivered / Clock.Seconds(start, Clock.Now);
    }

    private static TimeSpan ClientCpu() => System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;

    // (d) capacity: W worker connections + L lawyers on one silo; memory per connection and sustained msgs/s; same with the relay.
    public static async Task Capacity(Run run)
    {
        var o = run.Options;
        var workerCount = o.Int("workers", 5000);
        var lawyerCount = o.Int("lawyers", 200);
        var capacity = o.Int("capacity", 5);
        var senders = Math.Min(o.Int("senders", 500), Math.Min(workerCount, lawyerCount * capacity));
        var duration = o.Num("duration", 20);
        // Unmeasured closed loop first, for the platform and the relay alike: the JIT's tiering (tier 0, instrumented,
        // optimised) settles before CPU and throughput are counted, as in a process that has been serving for a while.
        // 30 s: after 15 s the silo still compiled about 900 methods (1.7 s of JIT) inside its first 30 s window, the
        // relay 100 (0.08 s); each server's JIT in each window is reported (docs/perf-message-path.md, tenth session).
        var warmup = o.Num("warmup", 30);
        var par = o.Int("connect-parallelism", 64);
        // Client-side ServerTimeout for every platform and relay connection of this scenario. The servers ping every 15 s
        // (ASP.NET Core default KeepAliveInterval); the client library's default of 10 s drops any connection that stays
        // idle for 10 s, and with two busy cores a ping can also be late. 60 s keeps the measured connections up.
        var serverTimeout = TimeSpan.FromSeconds(o.Num("server-timeout", 60));
        var c = run.Counters;
        var r = run.Report;
        if (!o.Flag("spawn-silo") && o.StrOrNull("silo-pid") is null) throw new ArgumentException("capacity needs --spawn-silo (or --silo-pid) to read the silo's memory");

        using var platform = await run.Platform();
        var siloPid = run.Silo?.Pid ?? o.Int("silo-pid", 0);
        var relayUrl = await run.RelayUrl();
        var relayPid = run.Relay?.Pid ?? o.Int("relay-pid", 0);

        // Platform: accounts first (REST, grain activations), then memory before/after connecting.
        run.View.Phase = "platform: creating accounts";
        var lawyerLogins = new (string Id, string Token)[lawyerCount];
        await Platform.ForEach(Enumerable.Range(0, lawyerCount), 8, async i =>
        {
            var username = $"lg{platform.RunId}-{i}";
            await platform.Rest.CreateLawyer(platform.AdminToken, username, "loadgen-12351", $"LoadGen lawyer {i}", ["unpaid_wages"], ["mandarin"], capacity);
            var login = await platform.Rest.Login(username, "loadgen-12351");
            lawyerLogins[i] = (login.UserId, login.Token);
            c.Add("lawyer accounts");
        });
        var tokens = await platform.CreateWorkerTokens(workerCount, 16, c);
        run.View.Phase = "platform: memory before";
        var siloBefore = await SettledRss(() => ChildServer.ReadRss(siloPid));
        run.View.Phase = "platform: connecting";
        var connectStart = Clock.Now;
        var tracker = new MessageTracker(c);
        var lawyers = new SimLawyer[lawyerCount];
        await Platform.ForEach(Enumerable.Range(0, lawyerCount), par, async i =>
        {
            var conn = Run.Own(run, HotlineConnection.Lawyer(platform.Url, lawyerLogins[i].Token));
            conn.ServerTimeout = serverTimeout;
            Platform.KeepLittle(conn);
            await conn.StartAsync();
            await conn.Invoke<System.Text.Json.JsonElement>("SetAvailability", ["available"]);
            conn.Messages.Added += m => tracker.Received("l:" + m.ConsultationId, m.ClientMessageId);
            lawyers[i] = new SimLawyer(i, lawyerLogins[i].Id, conn);
            c.Add("lawyer connections");
        });
        // The senders file their own messages from the acks and the server does not push them back: one push per message, as
        // with the relay, whose senders get no copy either. --echo true: the sender's connection gets its copy too (before).
        var echo = o.Str("echo", "false") == "true";
        var workers = await ConnectWorkers(run, platform, tokens, par, tracker, serverTimeout, echo);
        var connectSeconds = Clock.Seconds(connectStart, Clock.Now);
        run.View.Phase = "platform: memory after";
        await Task.Delay(3000);
        var siloAfter = await SettledRss(() => ChildServer.ReadRss(siloPid));
        var connections = workerCount + lawyerCount;
        int NotConnected() => workers.Count(w => w.Conn.State != Microsoft.AspNetCore.SignalR.Client.HubConnectionState.Connected)
            + lawyers.Count(l => l.Connection.State != Microsoft.AspNetCore.SignalR.Client.HubConnectionState.Connected);
        int Reconnections() => workers.Sum(w => w.Conn.Reconnections.Items.Count) + lawyers.Sum(l => l.Connection.Reconnections.Items.Count);
        var droppedAfterConnect = NotConnected();
        var reconnectsAfterConnect = Reconnections();
        // Recorded at once, so that a later failure still reports the memory figures.
        r.Figures["platform: silo RSS before (MB)"] = siloBefore / 1048576.0;
        r.Figures["platform: silo RSS after (MB)"] = siloAfter / 1048576.0;
        r.Figures["platform: KB per connection"] = (siloAfter - siloBefore) / (double)(workerCount + lawyerCount) / 1024;
        r.Figures["platform: seconds to connect all"] = connectSeconds;

        run.View.Phase = "platform: opening consultations";
        AutoAccept(run, lawyers);
        var pairs = await OpenAssigned(run, platform, workers.Take(senders).ToList(), "unpaid_wages", "mandarin", 32);
        run.View.Phase = "platform: warm-up";
        // Sender i writes in its own consultation, to the lawyer who took it; the text says which phase sent it.
        Func<int, (string, Func<string, Task>)> PlatformSender(string phase) =>
            i => ("l:" + pairs[i].ConsultationId, id => pairs[i].Worker.SendMessage(pairs[i].ConsultationId, phase + " " + id[..6], id));
        var pWindows = new List<CapacityWindow>();
        var pDelivery = run.Latency("platform: SendMessage -> lawyer Message");
        long pLost = 0;
        async Task WarmPlatform()
        {
            run.View.Phase = "platform: warm-up";
            if (warmup > 0) await ClosedLoop(run, tracker, pairs.Count, warmup, PlatformSender("warm"), new Latency("platform warm-up"), "messages delivered", "platform");
        }
        // One measured closed loop of either side: the load generator collects first; the server's CPU and GC, and this
        // process's CPU, are counted over the window; then every acked message is waited for (or counted lost: the
        // tracker keeps the side's every message, so this is the side's running total, not the window's).
        async Task<long> MeasureWindow(string side, MessageTracker tr, Func<int, (string, Func<string, Task>)> sender, Latency delivery,
            Task<Stages.ServerGcWindow?> serverGc, string serverLabel, ChildServer? server, List<CapacityWindow> windows, int? round)
        {
            run.View.Phase = side + ": closed-loop messages" + (round is { } n ? $" (round {n})" : "");
            var gc = await serverGc;
            Stages.CollectClient();
            var cpu0 = server?.CpuTime();
            var client0 = ClientCpu();
            var start = Clock.Now;
            var rate = await ClosedLoop(run, tr, pairs.Count, duration, sender, delivery, "messages delivered", side);
            windows.Add(new CapacityWindow(rate, Clock.Seconds(start, Clock.Now), server?.CpuTime() - cpu0, ClientCpu() - client0));
            if (gc is not null) await gc.Report(r, round is { } k ? $"{serverLabel} (round {k})" : serverLabel);
            return await tr.Drain(TimeSpan.FromSeconds(10));
        }
        async Task MeasurePlatform(int? round) => pLost = await MeasureWindow("platform", tracker, PlatformSender("cap"), pDelivery,
            Stages.ServerGcWindow.Silo(platform), "platform: silo", run.Silo, pWindows, round);

        // Relay: the same numbers of connections, senders and receivers.
        var rTracker = new MessageTracker(c);
        var receivers = new RelayClient[lawyerCount];
        var rSenders = new RelayClient[workerCount];
        long relayBefore = 0, relayAfter = 0;
        async Task ConnectRelay()
        {
            run.View.Phase = "relay: memory before";
            relayBefore = await SettledRss(() => ChildServer.ReadRss(relayPid));
            run.View.Phase = "relay: connecting";
            await Platform.ForEach(Enumerable.Range(0, lawyerCount), par, async i =>
            {
                var rc = new RelayClient(relayUrl, "l-" + i, (name, cmid) => rTracker.Received(name, cmid), serverTimeout);
                run.Own(rc);
                await rc.Start();
                receivers[i] = rc;
                c.Add("relay receivers");
            });
            await Platform.ForEach(Enumerable.Range(0, workerCount), par, async i =>
            {
                var sc = new RelayClient(relayUrl, "w-" + i, (_, _) => { }, serverTimeout);
                run.Own(sc);
                await sc.Start();
                rSenders[i] = sc;
                c.Add("relay senders");
            });
            run.View.Phase = "relay: memory after";
            await Task.Delay(3000);
            relayAfter = await SettledRss(() => ChildServer.ReadRss(relayPid));
        }
        // Sender i talks to receiver i % lawyers: the same fan-in per receiver as consultations per lawyer above.
        Func<int, (string, Func<string, Task>)> RelaySender(string phase) =>
            i => ("l-" + (i % lawyerCount), id => rSenders[i].Send("l-" + (i % lawyerCount), id, phase + " " + id[..6]));
        var rWindows = new List<CapacityWindow>();
        var rDelivery = run.Latency("relay: Send -> receiver Message");
        long rLost = 0;
        async Task WarmRelay()
        {
            run.View.Phase = "relay: warm-up";
            if (warmup > 0) await ClosedLoop(run, rTracker, pairs.Count, warmup, RelaySender("warm"), new Latency("relay warm-up"), "messages delivered", "relay");
        }
        async Task MeasureRelay(int? round) => rLost = await MeasureWindow("relay", rTracker, RelaySender("cap"), rDelivery,
            Stages.ServerGcWindow.Relay(relayUrl), "relay: server", run.Relay, rWindows, round);

        // Rounds > 1: both sides stay connected and their closed loops alternate (platform, relay, relay, platform, ...), so
        // that a slow minute of the machine falls on both; the figures pool each side's windows.
        var rounds = Math.Max(1, o.Int("rounds", 1));
        if (rounds == 1)
        {
            await WarmPlatform();
            await MeasurePlatform(round: null);
        }
        else
        {
            await ConnectRelay();
            await WarmRelay();
            await WarmPlatform();
            for (var round = 1; round <= rounds; round++)
            {
                if (round % 2 == 1) { await MeasurePlatform(round); await MeasureRelay(round); }
                else { await MeasureRelay(round); await MeasurePlatform(round); }
            }
        }
        var gaps = pairs.Sum(p => Gaps(p.Worker, [p.ConsultationId]));
        var droppedAtEnd = NotConnected();
        var reconnects = Reconnections();
        if (rounds == 1)
        {
            await ConnectRelay();
            await WarmRelay();
            await MeasureRelay(round: null);
        }
        var relayClosed = receivers.Sum(x => x.Closed) + rSenders.Sum(x => x.Closed);
        var pRate = CapacityWindow.PooledRate(pWindows);
        var rRate = CapacityWindow.PooledRate(rWindows);
        if (rounds > 1)
            for (var i = 0; i < rounds; i++)
            {
                r.Figures[$"round {i + 1}: platform messages/s"] = pWindows[i].Rate;
                r.Figures[$"round {i + 1}: relay messages/s"] = rWindows[i].Rate;
                r.Figures[$"round {i + 1}: messages/s ratio"] = pWindows[i].Rate / rWindows[i].Rate;
                if (pWindows[i].ServerCpuPer1000 is { } ps && rWindows[i].ServerCpuPer1000 is { } rs)
                {
                    r.Figures[$"round {i + 1}: platform silo CPU seconds per 1000 messages"] = ps;
                    r.Figures[$"round {i + 1}: relay CPU seconds per 1000 messages"] = rs;
                    r.Figures[$"round {i + 1}: CPU per message ratio"] = ps / rs;
                }
            }
        var pPer = (siloAfter - siloBefore) / (double)connections;
        var rPer = (relayAfter - relayBefore) / (double)connections;
        r.Baseline = $"{run.RelayKind} SignalR relay (tools/Hotline.Relay, pid {relayPid}) with the same {connections} client connections and {pairs.Count} closed-loop senders";
        r.Figures["connections (workers + lawyers)"] = connections;
        r.Figures["platform: seconds to connect all"] = connectSeconds;
        r.Figures["client ServerTimeout (s)"] = serverTimeout.TotalSeconds;
        r.Figures["platform: connections not connected 6 s after connecting"] = droppedAfterConnect;
        r.Figures["platform: connections not connected after the closed loop"] = droppedAtEnd;
        r.Figures["platform: reconnections until 6 s after connecting"] = reconnectsAfterConnect;
        r.Figures["platform: reconnections in total (to the end of the closed loop)"] = reconnects;
        r.Figures["platform: send failed"] = c.Get("platform: send failed");
        r.Figures["relay: connections closed (no reconnect)"] = relayClosed;
        r.Figures["relay: send failed"] = c.Get("relay: send failed");
        r.Figures["platform: consultations not assigned within 120 s"] = c.Get("not assigned within 120 s");
        r.Figures["platform: Assigned pushes missed (seen only through JoinConsultation)"] = c.Get("Assigned push missed (seen only through JoinConsultation)");
        r.Figures["platform: silo RSS before (MB)"] = siloBefore / 1048576.0;
        r.Figures["platform: silo RSS after (MB)"] = siloAfter / 1048576.0;
        r.Figures["platform: KB per connection"] = pPer / 1024;
        r.Figures["relay: RSS before (MB)"] = relayBefore / 1048576.0;
        r.Figures["relay: RSS after (MB)"] = relayAfter / 1048576.0;
        r.Figures["relay: KB per connection"] = rPer / 1024;
        r.Figures["closed-loop senders (active consultations)"] = pairs.Count;
        r.Figures["platform: senders get their own Message event (echo)"] = echo ? 1 : 0;
        r.Figures["warm-up before the measured loop (s), platform and relay each"] = warmup;
        r.Figures["rounds (alternated closed-loop windows per side)"] = rounds;
        r.Figures["platform: messages/s delivered"] = pRate;
        r.Figures["relay: messages/s delivered"] = rRate;
        var pCpu = CapacityWindow.PooledServerCpuPer1000(pWindows);
        var rCpu = CapacityWindow.PooledServerCpuPer1000(rWindows);
        if (pCpu is { } pc) r.Figures["platform: silo CPU seconds per 1000 messages"] = pc;
        if (rCpu is { } rc2) r.Figures["relay: CPU seconds per 1000 messages"] = rc2;
        // The clients share the 2 cores with the server: their CPU per message also limits the server's messages/s.
        r.Figures["platform: load generator CPU seconds per 1000 messages"] = CapacityWindow.PooledClientCpuPer1000(pWindows);
        r.Figures["relay: load generator CPU seconds per 1000 messages"] = CapacityWindow.PooledClientCpuPer1000(rWindows);
        r.Figures["load generator RSS (MB)"] = ChildServer.ReadRss(Environment.ProcessId) / 1048576.0;
        r.Ratios["memory per connection (platform / relay)"] = pPer / rPer;
        r.Ratios["messages/s (platform / relay)"] = pRate / rRate;
        if (pCpu is { } pcpu && rCpu is { } rcpu) r.Ratios["server CPU per message (platform / relay)"] = pcpu / rcpu;
        r.Latencies[pDelivery.Name] = pDelivery.Summary();
        r.BaselineLatencies[rDelivery.Name] = rDelivery.Summary();
        r.LostMessages = pLost + rLost;
        r.DuplicateMessages = tracker.Duplicates + rTracker.Duplicates;
        r.SeqGaps = gaps;
        r.Errors += c.Get("errors");
        r.Notes.Add($"{workerCount} worker + {lawyerCount} lawyer hub connections (lawyer capacity {capacity}); RSS = mean of 3 samples 1 s apart, before connecting (accounts already created) and 3 s after. Then {pairs.Count} workers with an active consultation each send closed-loop (await the durable ack, send again) for {duration} s{(rounds > 1 ? $" per window, {rounds} windows per side alternated (platform, relay, relay, platform, ...), pooled" : "")}; msgs/s = deliveries to the lawyer per second. The load generator runs on the same 2 cores.");
    }
}

/// <summary>One measured closed-loop window of the capacity scenario: messages/s, its length, and CPU (server, this process).</summary>
internal sealed record CapacityWindow(double Rate, double Seconds, TimeSpan? ServerCpu, TimeSpan ClientCpu)
{
    private double Messages => Rate * Seconds;

    /// <summary>The server's CPU seconds per 1000 messages in this window (null: the server's CPU is not readable).</summary>
    public double? ServerCpuPer1000 => ServerCpu is { } cpu ? cpu.TotalSeconds / Messages * 1000 : null;

    /// <summary>Messages per second over all the windows (total messages over total time).</summary>
    public static double PooledRate(IReadOnlyList<CapacityWindow> windows) => windows.Sum(w => w.Messages) / windows.Sum(w => w.Seconds);

    /// <summary>The server's CPU seconds per 1000 messages over all the windows.</summary>
    public static double? PooledServerCpuPer1000(IReadOnlyList<CapacityWindow> windows) =>
        windows.All(w => w.ServerCpu is not null) ? windows.Sum(w => w.ServerCpu!.Value.TotalSeconds) / windows.Sum(w => w.Messages) * 1000 : null;

    /// <summary>This process's (the clients') CPU seconds per 1000 messages over all the windows.</summary>
    public static double PooledClientCpuPer1000(IReadOnlyList<CapacityWindow> windows) => windows.Sum(w => w.ClientCpu.TotalSeconds) / windows.Sum(w => w.Messages) * 1000;
}
