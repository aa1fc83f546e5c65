namespace Hotline.Cluster.Tests;

/// <summary>
/// Front mode on real processes: two grains-only silos and two fronts (<see cref="SplitCluster"/>). Events from grains
/// reach whichever front holds the connection (Redis backplane published by the silos); a silo or a front killed with
/// kill -9 loses no acknowledged message; a dead front does not keep its lawyers online.
/// </summary>
[Collection("cluster")]
public sealed class SplitTopologyTests(ClusterFixture fixture, ITestOutputHelper output)
{
    private async Task<SplitCluster> Split()
    {
        var split = await fixture.Split();
        await split.Restore();
        foreach (var line in fixture.DrainLog()) output.WriteLine(line);
        return split;
    }

    [Fact]
    public async Task Worker_on_front_A_and_lawyer_on_front_B_complete_a_consultation()
    {
        var split = await Split();
        var (a, b) = (split.Fronts[0], split.Fronts[1]);
        await using var pair = await Pair.Start(split, workerSilo: a, lawyerSilo: b);
        Assert.Equal(a.Url, pair.Worker.CurrentUrl);
        Assert.Equal(b.Url, pair.Lawyer.CurrentUrl);
        await pair.ChatAndClose(split.Rest(b));

        // A silo serves health only; the API lives on the fronts.
        using var silo = new HttpClient { BaseAddress = split.Silos[0].Url };
        Assert.True((await silo.GetAsync("/health/ready")).IsSuccessStatusCode);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await silo.GetAsync("/api/catalog")).StatusCode);
    }

    [Fact]
    public async Task Killing_the_silo_of_a_consultation_loses_no_acknowledged_message()
    {
        var split = await Split();
        await using var pair = await Pair.Start(split, workerSilo: split.Fronts[0], lawyerSilo: split.Fronts[1]);
        var id = pair.ConsultationId;
        var result = await Stream(split, pair, id, async () =>
        {
            var victim = await split.GrainHost(id);
            victim.KillHard();
            output.WriteLine($"killed {victim.Name} (silo port {victim.SiloPort}) hosting {id}");
        });
        output.WriteLine($"first acknowledged send {result.FirstAfter:0.00} s after the kill");
        Assert.True(result.FirstAfter <= 5.0, $"first acknowledged send only {result.FirstAfter:0.00} s after the kill");
        // Clients stay on their fronts: only the silo behind them changed.
        Assert.Equal(split.Fronts[0].Url, pair.Worker.CurrentUrl);
        Assert.Equal(split.Fronts[1].Url, pair.Lawyer.CurrentUrl);
        Transcripts.Verify(await Transcripts.ReadAll(split.Rest(split.Fronts[0]), pair.WorkerLogin.Token, id), result.Acked);

        // The lawyer (its grain possibly re-activated on the survivor) is routable again: its front re-asserted the connection.
        await pair.LawyerTakesANewCase(split.Rest(split.Fronts[0]), "Second case after the silo died.");
    }

    [Fact]
    public async Task Killing_a_front_moves_its_clients_to_the_other_and_its_lawyers_lapse()
    {
        var split = await Split();
        var (victim, survivor) = (split.Fronts[0], split.Fronts[1]);
        await using var pair = await Pair.Start(split, workerSilo: victim, lawyerSilo: victim, fallback: survivor);
        var id = pair.ConsultationId;
        // A second lawyer reachable only through the victim: once it is gone, nobody renews that connection.
        var stranded = await split.NewLawyer("work_injury");
        await using var strandedHub = new HotlineConnection([victim.Url], "/hubs/lawyer", () => stranded.Token);
        await strandedHub.StartAsync();
        await strandedHub.Invoke<object?>("SetAvailability", ["available"]);
        var admin = split.Rest(survivor);
        Assert.True((await admin.GetLawyers(await split.AdminToken())).Single(l => l.Id == stranded.UserId).Connected);

        var result = await Stream(split, pair, id, () =>
        {
            victim.KillHard();
            output.WriteLine($"killed {victim.Name}");
            return Task.CompletedTask;
        });
        output.WriteLine($"first acknowledged send {result.FirstAfter:0.00} s after the kill");
        Assert.Equal(survivor.Url, pair.Worker.CurrentUrl);
        Assert.Equal(survivor.Url, pair.Lawyer.CurrentUrl);
        Transcripts.Verify(await Transcripts.ReadAll(admin, pair.WorkerLogin.Token, id), result.Acked);

        // The stranded lawyer's lease lapses (8 s here): offline for routing and in the roster.
        var sw = Stopwatch.StartNew();
        while ((await admin.GetLawyers(await split.AdminToken())).Single(l => l.Id == stranded.UserId).Connected)
        {
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(60), "a dead front keeps its lawyer connected");
            await Task.Delay(500);
        }
        output.WriteLine($"stranded lawyer offline {sw.Elapsed.TotalSeconds:0.0} s after the stream ended");
    }

    private sealed record StreamResult(IReadOnlyList<Sender.Acked> Acked, double FirstAfter);

    /// <summary>Both sides send every 75 ms; <paramref name="kill"/> runs mid-stream; the stream goes on until each
    /// side has 10 acknowledged sends started after the kill. Fails on any send that was not acknowledged.</summary>
    private async Task<StreamResult> Stream(SplitCluster split, Pair pair, string id, Func<Task> kill)
    {
        await using var stream = new TwoWayStream(pair.Worker, pair.Lawyer, id, TimeSpan.FromMilliseconds(75));
        var (worker, lawyer) = (stream.Worker, stream.Lawyer);
        await worker.WaitForAcked(5, TimeSpan.FromSeconds(30));
        await kill();
        var killedAt = DateTimeOffset.UtcNow;
        await stream.WaitForEachAfter(killedAt, 10, TimeSpan.FromSeconds(60));
        await stream.StopAsync();
        foreach (var f in worker.Failures.Concat(lawyer.Failures)) output.WriteLine("  failure: " + f.GetType().Name + ": " + f.Message);
        output.WriteLine($"worker on {pair.Worker.CurrentUrl} ({pair.Worker.Reconnections.Items.Count} reconnections), lawyer on {pair.Lawyer.CurrentUrl} ({pair.Lawyer.Reconnections.Items.Count})");
        if (worker.Failures.Count + lawyer.Failures.Count > 0)
            foreach (var p in split.Silos.Concat(split.Fronts)) output.WriteLine($"--- {p.Name}:\n{p.Tail(30)}");
        Assert.Empty(worker.Failures);
        Assert.Empty(lawyer.Failures);
        var acked = worker.AckedMessages.Concat(lawyer.AckedMessages).ToList();
        var after = acked.Where(x => x.Started > killedAt).ToList();
        Assert.True(after.Count >= 20, $"the conversation did not go on after the kill ({after.Count} acknowledged sends)");
        return new StreamResult(acked, after.Min(x => (x.Completed - killedAt).TotalSeconds));
    }
}
