using System.Globalization;
using System.Text.Json;

namespace Hotline.LoadGen;

/// <summary>
/// The stage report of the latency scenario (<c>--stages</c>): the spawned silo and relay log when each message passed
/// each of their stages (MessageStageLog: CLOCK_MONOTONIC, as this process's <see cref="Clock"/>), and this joins them
/// by clientMessageId with the send and receipt instants measured here.
/// </summary>
internal static class Stages
{
    /// <summary>One step of a message's way: from one instant to the next (a name the log or this process gives).</summary>
    private sealed record Step(string Name, string From, string To);

    // "send" and "receipt" are this process's; the others the server's (MessageStageLog's stage names).
    private static readonly Step[] PlatformSteps =
    [
        new("client send -> hub method", "send", "hub"),
        new("  of which client send -> hub filter", "send", "filter"),
        new("  of which hub filter -> hub method", "filter", "hub"),
        new("hub method -> grain turn", "hub", "grain"),
        new("grain turn -> push handed to SignalR", "grain", "push"),
        new("push handed -> written", "push", "written"),
        new("push written -> client receipt", "written", "receipt"),
        new("  of which push written -> client handler", "written", "arrival"),
        new("  of which client handler -> filed (receipt)", "arrival", "receipt"),
        new("(ack) grain turn -> stored", "grain", "stored"),
        new("(ack) hub method -> ack", "hub", "ack"),
    ];

    private static readonly Step[] RelaySteps =
    [
        new("client send -> hub method", "send", "hub"),
        new("hub method -> push handed to SignalR", "hub", "push"),
        new("push handed -> written", "push", "written"),
        new("push written -> client receipt", "written", "receipt"),
        new("(ack) hub method -> ack", "hub", "ack"),
    ];

    /// <summary>Reads the server's stage log (lines "timestamp stage id"): id -> stage -> first instant.</summary>
    public static async Task<Dictionary<string, Dictionary<string, long>>> Read(string path)
    {
        // The server writes in batches every 200 ms: give the last batch time to land.
        await Task.Delay(1000);
        var byId = new Dictionary<string, Dictionary<string, long>>();
        if (!File.Exists(path)) return byId;
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        while (await reader.ReadLineAsync() is { } line)
        {
            var parts = line.Split(' ');
            if (parts.Length != 3 || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var at)) continue;
            if (!byId.TryGetValue(parts[2], out var stages)) byId[parts[2]] = stages = [];
            stages.TryAdd(parts[1], at);
        }
        return byId;
    }

    /// <summary>
    /// Adds the per-stage latencies of the recorded messages to the report (<paramref name="label"/> "platform" or
    /// "relay"), and, for the slowest 1 % end to end, the mean time of each stage (where the tail is).
    /// </summary>
    public static void Report(RunReport report, string label, MessageTracker tracker, Dictionary<string, Dictionary<string, long>> log, bool platform)
    {
        var steps = platform ? PlatformSteps : RelaySteps;
        var histograms = steps.ToDictionary(s => s.Name, s => new Latency(s.Name));
        var rows = new List<(double Total, double[] Parts, bool Behind)>();
        long joined = 0, missing = 0;
        var behind = SentBehindAck(tracker, log);
        foreach (var (id, _, sentAt, arrivedAt, receivedAt) in tracker.Recorded)
        {
            if (!log.TryGetValue(id, out var stages)) { missing++; continue; }
            stages = new Dictionary<string, long>(stages) { ["send"] = sentAt, ["receipt"] = receivedAt };
            if (arrivedAt != 0) stages["arrival"] = arrivedAt;
            var parts = new double[steps.Length];
            for (var i = 0; i < steps.Length; i++)
            {
                var step = steps[i];
                if (stages.TryGetValue(step.From, out var from) && stages.TryGetValue(step.To, out var to))
                {
                    parts[i] = Clock.Ms(from, to);
                    histograms[step.Name].RecordMs(parts[i]);
                }
                else parts[i] = double.NaN;
            }
            rows.Add((Clock.Ms(sentAt, receivedAt), parts, behind.Contains(id)));
            joined++;
        }
        foreach (var step in steps) report.StageLatencies[$"{label}: {step.Name}"] = histograms[step.Name].Summary();
        report.Figures[$"{label} stages: messages joined with the server's log"] = joined;
        report.Figures[$"{label} stages: recorded messages missing from it"] = missing;
        if (rows.Count == 0) return;
        // The slowest 1 %: which stage holds their time (a mean over those messages, ms).
        var tail = rows.OrderByDescending(r => r.Total).Take(Math.Max(1, rows.Count / 100)).ToList();
        report.Figures[$"{label} slowest 1 % ({tail.Count}): mean end to end ms"] = tail.Average(r => r.Total);
        // Head-of-line: sent before the previous message to the same receiver was acked (the server had not finished it).
        report.Figures[$"{label}: share of messages sent before the previous one to their receiver was acked"] = rows.Count(r => r.Behind) / (double)rows.Count;
        report.Figures[$"{label} slowest 1 %: share sent before the previous one was acked"] = tail.Count(r => r.Behind) / (double)tail.Count;
        // What the delivery would be without that wait: the same percentiles over the messages not sent behind an unacked one.
        var free = new Latency("free");
        foreach (var r in rows.Where(r => !r.Behind)) free.RecordMs(r.Total);
        var freeSummary = free.Summary();
        report.Figures[$"{label}: p50 ms of messages not sent behind an unacked one"] = freeSummary.P50Ms;
        report.Figures[$"{label}: p99 ms of messages not sent behind an unacked one"] = freeSummary.P99Ms;
        for (var i = 0; i < steps.Length; i++)
        {
            var values = tail.Select(r => r.Parts[i]).Where(v => !double.IsNaN(v)).ToList();
            if (values.Count > 0) report.Figures[$"{label} slowest 1 %: mean ms, {steps[i].Name}"] = values.Average();
        }
    }

    /// <summary>Ids of the messages sent before the server acked the previous message to the same receiver.</summary>
    private static HashSet<string> SentBehindAck(MessageTracker tracker, Dictionary<string, Dictionary<string, long>> log)
    {
        var result = new HashSet<string>();
        foreach (var group in tracker.Recorded.GroupBy(r => r.Receiver))
        {
            long previousAck = 0;
            foreach (var m in group.OrderBy(r => r.SentAt))
            {
                if (m.SentAt < previousAck) result.Add(m.Id);
                previousAck = log.TryGetValue(m.Id, out var stages) && stages.TryGetValue(MessageStageLogAck, out var ack) ? ack : 0;
            }
        }
        return result;
    }

    private const string MessageStageLogAck = "ack";

    /// <summary>
    /// A spawned server's collections during a window (sampled before and after from the silo's admin diagnostics or the
    /// relay's <c>/api/runtime</c>): whether its GC pauses can explain the delivery tail. Null when the figures cannot be
    /// read (then nothing is reported).
    /// </summary>
    public sealed class ServerGcWindow
    {
        private readonly Func<Task<JsonElement>> _get;
        private readonly IDisposable? _owned;
        private readonly Sample _before;

        /// <summary>The figures read at one instant; the JIT's are null from a server built before it reported them.</summary>
        private sealed record Sample(long Gen0, long Gen1, long Gen2, long AllocatedBytes, double PauseMs, long? JitMethods, double? JitMs);

        private ServerGcWindow(Func<Task<JsonElement>> get, IDisposable? owned, Sample before) { _get = get; _owned = owned; _before = before; }

        /// <summary>How long one reading may take.</summary>
        private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(10);

        /// <summary>The figures of the process the clients talk to (the silo, or a front), read as admin through the platform's own REST client.</summary>
        public static Task<ServerGcWindow?> Silo(Platform platform) => Start(async () =>
        {
            using var timeout = new CancellationTokenSource(ReadTimeout);
            return await platform.Rest.Send<JsonElement>(HttpMethod.Get, "/api/admin/diagnostics/runtime", platform.AdminToken, cancellationToken: timeout.Token);
        }, owned: null);

        /// <summary>The relay's figures.</summary>
        public static Task<ServerGcWindow?> Relay(Uri relay)
        {
            var http = new HttpClient { BaseAddress = relay, Timeout = ReadTimeout };
            return Start(() => System.Net.Http.Json.HttpClientJsonExtensions.GetFromJsonAsync<JsonElement>(http, "/api/runtime"), http);
        }

        private static async Task<ServerGcWindow?> Start(Func<Task<JsonElement>> get, IDisposable? owned)
        {
            if (await Read(get) is { } before) return new ServerGcWindow(get, owned, before);
            owned?.Dispose();
            return null;
        }

        // Null when the figures cannot be read or lack a field (e.g. --silo-dll naming a silo built before they existed).
        private static async Task<Sample?> Read(Func<Task<JsonElement>> get)
        {
            try
            {
                var json = await get();
                return json.TryGetProperty("gen0", out var g0) && json.TryGetProperty("gen1", out var g1) && json.TryGetProperty("gen2", out var g2)
                    && json.TryGetProperty("totalAllocatedBytes", out var allocated) && json.TryGetProperty("gcPauseTotalMs", out var pause)
                    ? new Sample(g0.GetInt64(), g1.GetInt64(), g2.GetInt64(), allocated.GetInt64(), pause.GetDouble(),
                        json.TryGetProperty("jitCompiledMethods", out var jit) ? jit.GetInt64() : null,
                        json.TryGetProperty("jitTimeMs", out var jitMs) ? jitMs.GetDouble() : null)
                    : null;
            }
            catch (Exception e) when (e is HttpRequestException or Hotline.Client.HotlineApiException or TaskCanceledException or JsonException
                                           or InvalidOperationException or FormatException)
            {
                return null;
            }
        }

        /// <param name="report">The run's report.</param>
        /// <param name="label">"platform: silo" or "relay: server".</param>
        public async Task Report(RunReport report, string label)
        {
            using var _ = _owned;
            if (await Read(_get) is not { } after) return; // a figure missing, not a failed run
            report.Figures[$"{label} GCs (all generations)"] = after.Gen0 - _before.Gen0;
            report.Figures[$"{label} gen1 GCs"] = after.Gen1 - _before.Gen1;
            report.Figures[$"{label} gen2 GCs"] = after.Gen2 - _before.Gen2;
            report.Figures[$"{label} allocated MB"] = (after.AllocatedBytes - _before.AllocatedBytes) / 1e6;
            report.Figures[$"{label} GC pause total ms"] = after.PauseMs - _before.PauseMs;
            // Compilation inside the window: the server was still warming up (tiering) while it was measured.
            if (after.JitMethods is { } methods && _before.JitMethods is { } before)
                report.Figures[$"{label} methods JIT-compiled"] = methods - before;
            if (after.JitMs is { } ms && _before.JitMs is { } beforeMs)
                report.Figures[$"{label} JIT time ms"] = ms - beforeMs;
        }
    }

    /// <summary>
    /// A full blocking collection of this process (the load generator) before a measured window, as benchmark harnesses
    /// do between iterations: the tracker keeps every message (the transcripts did too, before KeepLittle), so a gen0
    /// collection that happens to fall in a window copies all that survived since the last one (85-104 ms pauses were
    /// seen in the platform's window after a 30 s warm-up). The servers are left alone: their collections are part of what
    /// is measured.
    /// </summary>
    public static void CollectClient()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
    }

    /// <summary>This process's collections during a window: what a receiving client's own GC may add to the tail.</summary>
    public sealed class GcWindow
    {
        /// <summary>
        /// Collects first (<see cref="CollectClient"/>), then starts counting. With <paramref name="noGcBytes"/> above zero
        /// this process also asks the runtime for a no-GC region of that many bytes until <see cref="Report"/>, so that
        /// none of its own collections (a gen0 pause here was 15-80 ms with the two cores busy) stalls the receiving
        /// clients inside a measured window, on either side. If the window allocates more, the runtime collects as usual
        /// and the report says the region did not hold.
        /// </summary>
        public static GcWindow StartClean(long noGcBytes = 0)
        {
            CollectClient();
            bool? region = null;
            if (noGcBytes > 0)
            {
                // A little of it for the large object heap, the rest for small objects (the one-argument overload would
                // set the whole amount aside for each).
                try { region = GC.TryStartNoGCRegion(noGcBytes, Math.Min(noGcBytes / 4, 16L << 20)); }
                catch (ArgumentOutOfRangeException) { region = false; } // more than the runtime can set aside
            }
            return new GcWindow(region);
        }

        private readonly bool? _region;
        private readonly int[] _counts = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];
        private readonly TimeSpan _pause = GC.GetTotalPauseDuration();
        private readonly long _allocated = GC.GetTotalAllocatedBytes();

        private GcWindow(bool? region) => _region = region;

        /// <summary>
        /// Ends the window's no-GC region if it still holds, and reports this process's GC in the window. A window that
        /// throws before this leaves the region to the runtime: the next window's collection ends it.
        /// </summary>
        public void Report(RunReport report, string label)
        {
            if (_region is { } started)
            {
                // 1: the region held to the end; 0: a collection ended it (the counts below show it); -1: it never started.
                var held = -1;
                if (started)
                {
                    try { GC.EndNoGCRegion(); held = 1; }
                    catch (InvalidOperationException) { held = 0; } // the window allocated past it and the runtime collected
                }
                report.Figures[$"{label}: load generator no-GC region held (1 yes, 0 no, -1 not started)"] = held;
            }
            report.Figures[$"{label}: load generator GCs (all generations)"] = GC.CollectionCount(0) - _counts[0];
            report.Figures[$"{label}: load generator gen1 GCs"] = GC.CollectionCount(1) - _counts[1];
            report.Figures[$"{label}: load generator gen2 GCs"] = GC.CollectionCount(2) - _counts[2];
            report.Figures[$"{label}: load generator GC pause total ms"] = (GC.GetTotalPauseDuration() - _pause).TotalMilliseconds;
            report.Figures[$"{label}: load generator allocated MB"] = (GC.GetTotalAllocatedBytes() - _allocated) / 1e6;
            report.Figures[$"{label}: load generator heap MB after"] = GC.GetTotalMemory(false) / 1e6;
        }
    }
}
