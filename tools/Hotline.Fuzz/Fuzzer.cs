using System.Diagnostics;
using Hotline.Client;

namespace Hotline.Fuzz;

/// <summary>How long and how hard to fuzz.</summary>
/// <param name="SkipHead">Leave HEAD out of the wrong methods tried (see FuzzTests: a known defect, still open).</param>
public sealed record FuzzOptions(int Seed, long Inputs, TimeSpan Duration, int Workers = 4, int RestPercent = 60, bool SkipHead = false);

/// <summary>
/// Runs seeded hostile input at the REST endpoints and hubs from several workers at once, checks the host between
/// batches (process alive, /health/ready answers), and at the end checks that rejected input changed nothing: the
/// active consultation holds exactly the messages that were acknowledged, the roster and the worker's consultations
/// grew only by the creations that were accepted, and the lawyer's own connection is still online.
/// </summary>
public static class Fuzzer
{
    public static async Task<Report> Run(FuzzTarget target, FuzzOptions options, Action<string> log, CancellationToken cancellationToken = default)
    {
        var report = new Report();
        await using var world = await World.Create(target);
        log($"world: active {world.Active} (seq {world.ActiveSeqBefore}), queued {world.Queued}, roster {world.RosterBefore}");
        using var http = new HttpClient { BaseAddress = target.Url, Timeout = TimeSpan.FromSeconds(60) };
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var clock = Stopwatch.StartNew();
        long issued = 0;
        var shown = new HashSet<string>();

        async Task Worker(int index)
        {
            var h = new Hostile(new Random(options.Seed * 1009 + index), world.Ids);
            var rest = new RestFuzz(world, http, report) { SkipHead = options.SkipHead };
            await using var hubs = new HubFuzz(world, report);
            while (!abort.IsCancellationRequested && clock.Elapsed < options.Duration)
            {
                var n = Interlocked.Increment(ref issued);
                if (n > options.Inputs) break;
                report.Count("inputs");
                try
                {
                    if (h.Rng.Next(100) < options.RestPercent) await rest.One(h, abort.Token);
                    else await hubs.One(h, abort.Token);
                }
                catch (OperationCanceledException) when (abort.IsCancellationRequested) { break; }
                catch (Exception e)
                {
                    report.Finding("fuzzer exception", $"input {n}", e.GetType().Name + ": " + e.Message);
                }
                if (n % 500 == 0)
                {
                    if (!await Alive(target, http, report, $"after {n} inputs")) { await abort.CancelAsync(); break; }
                    if (n % 5000 == 0)
                    {
                        log($"{n} inputs, {report.FindingCount} findings, {clock.Elapsed.TotalSeconds:0} s");
                        // The first example of each kind of finding as soon as it is seen (a long run may be stopped early).
                        foreach (var f in report.Findings.GroupBy(f => f.Kind).Select(g => g.First()))
                            lock (shown) if (shown.Add(f.Kind)) log($"  finding '{f.Kind}': {f.Input}\n    -> {f.Detail}");
                    }
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, options.Workers).Select(Worker));
        report.Count("seconds", (long)clock.Elapsed.TotalSeconds);
        if (await Alive(target, http, report, "at the end")) await CheckState(world, report);
        return report;
    }

    private static async Task<bool> Alive(FuzzTarget target, HttpClient http, Report report, string when)
    {
        if (!target.ProcessAlive())
        {
            report.Finding("process crashed", when, "the silo process exited");
            return false;
        }
        try
        {
            using var r = await http.GetAsync("/health/ready");
            if (r.IsSuccessStatusCode) return true;
            report.Finding("host not ready", when, $"/health/ready answered {(int)r.StatusCode}");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            report.Finding("host not answering", when, e.Message);
        }
        return false;
    }

    private static async Task CheckState(World world, Report report)
    {
        var rest = world.Rest;
        var active = await rest.GetConsultation(world.Worker.Token, world.Active);
        var acked = report.Counts.GetValueOrDefault("state:active-messages-acked");
        if (active.LastSeq != world.ActiveSeqBefore + acked)
            report.Finding("state changed by rejected input", "active consultation", $"lastSeq {active.LastSeq}, expected {world.ActiveSeqBefore} + {acked} acknowledged");
        var roster = await rest.GetLawyers(world.AdminToken);
        var created = report.Counts.GetValueOrDefault("state:lawyers-created");
        if (roster.Count != world.RosterBefore + created)
            report.Finding("state changed by rejected input", "roster", $"{roster.Count} lawyers, expected {world.RosterBefore} + {created} created");
        var mine = await World.WorkerConsultations(rest, world.Worker.Token);
        var opened = report.Counts.GetValueOrDefault("state:worker-consultations-created");
        if (mine != world.WorkerConsultationsBefore + opened)
            report.Finding("state changed by rejected input", "worker's consultations", $"{mine}, expected {world.WorkerConsultationsBefore} + {opened} opened");
        if (!roster.Single(l => l.Id == world.Lawyer.UserId).Connected)
            report.Finding("healthy connection lapsed", "lawyer", "the fuzzer's lawyer, connected throughout, is shown offline");
        try { await world.LawyerHub.Invoke<Lawyer>("GetMe", [], TimeSpan.FromSeconds(30)); }
        catch (Exception e) { report.Finding("healthy connection lapsed", "lawyer hub", e.Message); }
        report.Count("state:checked");
    }
}
