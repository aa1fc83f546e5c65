using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Spectre.Console;

namespace Hotline.LoadGen;

/// <summary>Live counters of a run.</summary>
internal sealed class Counters
{
    private readonly ConcurrentDictionary<string, StrongBox> _values = new();
    private sealed class StrongBox { public long Value; }

    public void Add(string name, long n = 1) => Interlocked.Add(ref _values.GetOrAdd(name, _ => new StrongBox()).Value, n);
    public void Set(string name, long n) => Interlocked.Exchange(ref _values.GetOrAdd(name, _ => new StrongBox()).Value, n);
    public long Get(string name) => _values.TryGetValue(name, out var b) ? Interlocked.Read(ref b.Value) : 0;
    public SortedDictionary<string, long> Snapshot() => new(_values.ToDictionary(kv => kv.Key, kv => Interlocked.Read(ref kv.Value.Value)), StringComparer.Ordinal);
}

/// <summary>The live progress display (Spectre.Console), or plain periodic lines when output is redirected.</summary>
internal sealed class LiveView
{
    private readonly Counters _counters;
    private readonly Func<IEnumerable<Latency>> _latencies;
    private readonly bool _live;

    public LiveView(Counters counters, Func<IEnumerable<Latency>> latencies, bool live)
    {
        _counters = counters;
        _latencies = latencies;
        _live = live && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;
    }

    public volatile string Phase = "starting";

    public async Task<T> Run<T>(Func<Task<T>> work)
    {
        var started = Clock.Now;
        if (!_live)
        {
            var task = work();
            var lastPrint = Clock.Now;
            while (!task.IsCompleted)
            {
                await Task.WhenAny(task, Task.Delay(500));
                if (Clock.Seconds(lastPrint, Clock.Now) >= 5 || task.IsCompleted)
                {
                    lastPrint = Clock.Now;
                    Console.WriteLine($"[{Clock.Seconds(started, Clock.Now),6:0.0}s] {Phase}: " + string.Join(" ", _counters.Snapshot().Select(kv => $"{kv.Key}={kv.Value}")));
                }
            }
            return await task;
        }
        T result = default!;
        await AnsiConsole.Live(Render(started)).AutoClear(false).StartAsync(async ctx =>
        {
            var task = work();
            while (!task.IsCompleted)
            {
                await Task.WhenAny(task, Task.Delay(500));
                ctx.UpdateTarget(Render(started));
            }
            result = await task;
            ctx.UpdateTarget(Render(started));
        });
        return result;
    }

    private Table Render(long started)
    {
        var t = new Table().Border(TableBorder.Rounded).Title($"[bold]Hotline.LoadGen[/] {Markup.Escape(Phase)}  {Clock.Seconds(started, Clock.Now):0.0} s");
        t.AddColumn("counter").AddColumn(new TableColumn("value").RightAligned()).AddColumn("latency").AddColumn(new TableColumn("n").RightAligned())
            .AddColumn(new TableColumn("p50 ms").RightAligned()).AddColumn(new TableColumn("p99 ms").RightAligned());
        var counters = _counters.Snapshot().ToList();
        var lats = _latencies().ToList();
        for (var i = 0; i < Math.Max(counters.Count, lats.Count); i++)
        {
            var c = i < counters.Count ? counters[i] : default;
            var l = i < lats.Count ? lats[i] : null;
            t.AddRow(c.Key is null ? "" : Markup.Escape(c.Key), c.Key is null ? "" : c.Value.ToString(CultureInfo.InvariantCulture),
                l is null ? "" : Markup.Escape(l.Name), l is null ? "" : l.Count.ToString(CultureInfo.InvariantCulture),
                l is null ? "" : Fmt(l.PercentileMs(50)), l is null ? "" : Fmt(l.PercentileMs(99)));
        }
        return t;
    }

    private static string Fmt(double v) => double.IsNaN(v) ? "-" : v.ToString("0.00", CultureInfo.InvariantCulture);
}

/// <summary>The result of a run: written as JSON (for machines and the smoke test) and Markdown (for people).</summary>
internal sealed class RunReport
{
    public required string Scenario { get; init; }
    public required string Name { get; init; }
    public required string Command { get; init; }
    public DateTimeOffset StartedAt { get; init; } = DateTimeOffset.UtcNow;
    public double ElapsedSeconds { get; set; }
    public required string Target { get; set; }
    public string? Baseline { get; set; }
    public Dictionary<string, string> Options { get; init; } = [];
    public Dictionary<string, LatencySummary> Latencies { get; } = [];
    public Dictionary<string, LatencySummary> BaselineLatencies { get; } = [];
    /// <summary>Per-stage latencies of delivered messages (<c>--stages</c>): the platform's stages, then the relay's.</summary>
    public Dictionary<string, LatencySummary> StageLatencies { get; } = [];
    public SortedDictionary<string, long> Counters { get; set; } = [];
    public Dictionary<string, double> Figures { get; } = [];
    public Dictionary<string, double> Ratios { get; } = [];
    /// <summary>Invariant checks: messages acknowledged but never delivered, delivered twice, or seq gaps.</summary>
    public long LostMessages { get; set; }
    public long DuplicateMessages { get; set; }
    public long SeqGaps { get; set; }
    public long Errors { get; set; }
    public List<string> Notes { get; } = [];

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public (string Json, string Markdown) Write(string dir)
    {
        Directory.CreateDirectory(dir);
        var stem = Path.Combine(dir, Name);
        File.WriteAllText(stem + ".json", JsonSerializer.Serialize(this, Json));
        File.WriteAllText(stem + ".md", Markdown());
        return (stem + ".json", stem + ".md");
    }

    public string Markdown()
    {
        var sb = new StringBuilder();
        sb.AppendLine($"## {Scenario}: {Name}").AppendLine();
        sb.AppendLine("```").AppendLine(Command).AppendLine("```").AppendLine();
        sb.AppendLine($"Started {StartedAt:u}, {ElapsedSeconds:0.0} s. Target: {Target}." + (Baseline is null ? "" : $" Baseline: {Baseline}.")).AppendLine();
        if (Latencies.Count + BaselineLatencies.Count > 0)
        {
            sb.AppendLine("| latency (ms) | n | mean | p50 | p90 | p99 | p99.9 | max |").AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var (k, v) in Latencies.Select(kv => (kv.Key, kv.Value)).Concat(BaselineLatencies.Select(kv => ("baseline: " + kv.Key, kv.Value))))
                sb.AppendLine($"| {k} | {v.Count} | {F(v.MeanMs)} | {F(v.P50Ms)} | {F(v.P90Ms)} | {F(v.P99Ms)} | {F(v.P999Ms)} | {F(v.MaxMs)} |");
            sb.AppendLine();
        }
        if (StageLatencies.Count > 0)
        {
            sb.AppendLine("| stage of a delivered message (ms) | n | mean | p50 | p90 | p99 | p99.9 | max |").AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var (k, v) in StageLatencies)
                sb.AppendLine($"| {k} | {v.Count} | {F(v.MeanMs)} | {F(v.P50Ms)} | {F(v.P90Ms)} | {F(v.P99Ms)} | {F(v.P999Ms)} | {F(v.MaxMs)} |");
            sb.AppendLine();
        }
        if (Ratios.Count > 0)
        {
            sb.AppendLine("| ratio (platform / baseline) | value |").AppendLine("|---|---:|");
            foreach (var (k, v) in Ratios) sb.AppendLine($"| {k} | {F(v)} |");
            sb.AppendLine();
        }
        if (Figures.Count > 0)
        {
            sb.AppendLine("| figure | value |").AppendLine("|---|---:|");
            foreach (var (k, v) in Figures) sb.AppendLine($"| {k} | {F(v)} |");
            sb.AppendLine();
        }
        sb.AppendLine($"Invariants: lost {LostMessages}, duplicates {DuplicateMessages}, seq gaps {SeqGaps}, errors {Errors}.").AppendLine();
        sb.AppendLine("Counters: " + string.Join(", ", Counters.Select(kv => $"{kv.Key} {kv.Value}"))).AppendLine();
        foreach (var n in Notes) sb.AppendLine("- " + n);
        return sb.ToString();
    }

    private static string F(double v) => double.IsNaN(v) ? "-" : Math.Abs(v) >= 1000 ? v.ToString("0", CultureInfo.InvariantCulture) : v.ToString("0.####", CultureInfo.InvariantCulture);
}
