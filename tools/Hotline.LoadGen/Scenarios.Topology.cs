using Hotline.Client;

namespace Hotline.LoadGen;

internal static partial class Scenarios
{
    private const string AdminPassword = "loadgen-topology-admin-password";

    // ---------------------------------------------------------------------------------------------------------------
    // (e) topology: message latency and connection memory through a front (Hotline:Mode=front + a silo-mode process)
    // against one combined process, both in cluster mode on the same throwaway PostgreSQL and Redis, same run.
    public static async Task Topology(Run run)
    {
        var o = run.Options;
        var modes = o.List("modes", "combined,front");
        var pairsCount = o.Int("pairs", 20);
        var rate = o.Num("msg-rate", 10);
        var duration = o.Num("duration", 20);
        var warmup = o.Num("warmup", 3);
        var idle = o.Int("idle-connections", 1000);
        var r = run.Report;
        run.View.Phase = "starting PostgreSQL and Redis";
        await using var cluster = await LocalCluster.Start();
        var summaries = new Dictionary<string, (double P50, double P99, double Mean, double KbPerConnection)>();
        foreach (var mode in modes)
        {
            if (mode is not ("combined" or "front")) throw new ArgumentException($"--modes: '{mode}' is not combined or front");
            var db = "lg_" + mode;
            await cluster.CreateDatabase(db);
            var env = new Dictionary<string, string>
            {
                ["ConnectionStrings__Postgres"] = cluster.Postgres(db),
                ["ConnectionStrings__Redis"] = cluster.Redis,
                ["Orleans__ClusterId"] = "loadgen-" + mode + "-" + Environment.ProcessId,
                ["Hotline__Jwt__SigningKey"] = "loadgen-topology-signing-key-0123456789abcdef",
                ["Hotline__Routing__OfferTimeoutSeconds"] = "60",
                // The spawned processes run as Production, which refuses published default secrets.
                ["Hotline__Admin__Password"] = AdminPassword,
                ["Hotline__Gateway__ApiKey"] = "loadgen-topology-gateway-key-0123456789",
            };
            // front: one grains-only silo and one front; combined: one process that is both. The web process is measured.
            var servers = new List<ChildServer>();
            try
            {
                run.View.Phase = mode + ": starting";
                ChildServer? silo = null;
                if (mode == "front")
                {
                    silo = await ChildServer.StartSilo(Path.Combine(run.OutDir, "silo-mode"), new Dictionary<string, string>(env) { ["Hotline__Mode"] = "silo" });
                    servers.Add(silo);
                }
                var web = await ChildServer.StartSilo(Path.Combine(run.OutDir, mode), new Dictionary<string, string>(env) { ["Hotline__Mode"] = mode });
                servers.Add(web);
                using var platform = new Platform(web.Url);
                await platform.LoginAdmin("admin", AdminPassword);

                var (delivery, ack, lost, duplicates, gaps) = await PlatformLatency(run, platform, mode, pairsCount, rate, duration, warmup);
                r.Latencies[$"{mode}: worker -> lawyer (SendMessage -> Message)"] = delivery.Summary();
                r.Latencies[$"{mode}: SendMessage ack (durable)"] = ack.Summary();
                r.LostMessages += lost;
                r.DuplicateMessages += duplicates;
                r.SeqGaps += gaps;

                // Connection memory: RSS of the web process before and after idle worker connections (after a settle).
                run.View.Phase = mode + ": idle connections";
                var tokens = await platform.CreateWorkerTokens(idle, 16, run.Counters);
                await Task.Delay(2000);
                long webBefore = web.RssBytes(), siloBefore = silo?.RssBytes() ?? 0;
                var idleConnections = new List<HotlineConnection>();
                await Platform.ForEach(tokens, 32, async t =>
                {
                    var c = HotlineConnection.Worker(platform.Url, t);
                    await c.StartAsync();
                    lock (idleConnections) idleConnections.Add(c);
                });
                await Task.Delay(5000);
                long webAfter = web.RssBytes(), siloAfter = silo?.RssBytes() ?? 0;
                var kb = (webAfter - webBefore) / 1024.0 / idle;
                r.Figures[$"{mode}: web process RSS with {idle} idle connections (MB)"] = Math.Round(webAfter / 1048576.0, 1);
                r.Figures[$"{mode}: web process KB per connection"] = Math.Round(kb, 1);
                if (silo is not null) r.Figures[$"{mode}: silo RSS change while {idle} clients connected to the front (MB)"] = Math.Round((siloAfter - siloBefore) / 1048576.0, 1);
                await Parallel.ForEachAsync(idleConnections, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (c, _) => await c.DisposeAsync());
                var d = delivery.Summary();
                summaries[mode] = (d.P50Ms, d.P99Ms, d.MeanMs, kb);
            }
            finally
            {
                // Stop this topology before measuring the next, so they do not share the CPU.
                foreach (var s in Enumerable.Reverse(servers)) await s.DisposeAsync();
            }
        }
        if (summaries.TryGetValue("front", out var f) && summaries.TryGetValue("combined", out var b))
        {
            r.Ratios["front/combined delivery p50"] = f.P50 / b.P50;
            r.Ratios["front/combined delivery p99"] = f.P99 / b.P99;
            r.Ratios["front/combined delivery mean"] = f.Mean / b.Mean;
            r.Ratios["front/combined KB per connection"] = f.KbPerConnection / b.KbPerConnection;
        }
        r.Target = "cluster mode on a throwaway PostgreSQL + Redis: " + string.Join(", then ", modes.Select(m => m == "front" ? "front (front + silo-mode process)" : "combined (one process)"));
        r.Baseline = "combined mode, same run, same clients and rates";
        r.Notes.Add($"{pairsCount} worker/lawyer pairs, Poisson {rate} msg/s per worker for {duration} s after {warmup} s warm-up; then {idle} idle worker connections to measure the web process's RSS growth. Topologies run one after the other, each stopped before the next starts.");
    }
}
