namespace Hotline.Cluster.Tests;

/// <summary>One cluster shared by the tests of the "cluster" collection (they run one after another).</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    private readonly List<string> _log = [];
    public HotlineCluster Cluster { get; private set; } = null!;
    public List<double> FailoverSeconds { get; } = [];
    private SplitCluster? _split;

    /// <summary>The split topology (two silos, two fronts), started on first use and shared by the tests that use it.</summary>
    public async Task<SplitCluster> Split() => _split ??= await SplitCluster.Start(Cluster);

    public async Task InitializeAsync() => Cluster = await HotlineCluster.Start(line => { lock (_log) _log.Add(line); });

    /// <summary>The shared cluster with two ready silos; the fixture's log so far goes to <paramref name="output"/>.</summary>
    public async Task<HotlineCluster> Ready(ITestOutputHelper output)
    {
        await Cluster.RestoreTwoSilos();
        foreach (var line in DrainLog()) output.WriteLine(line);
        return Cluster;
    }

    /// <summary>How most cluster tests begin: the ready cluster, and a worker on silo A (<c>Silos[0]</c>) in an active
    /// consultation with a lawyer on silo B (<c>Silos[1]</c>).</summary>
    public async Task<Pair> PairAcrossSilos(ITestOutputHelper output)
    {
        var cluster = await Ready(output);
        return await Pair.Start(cluster, workerSilo: cluster.Silos[0], lawyerSilo: cluster.Silos[1]);
    }

    public IReadOnlyList<string> DrainLog()
    {
        lock (_log) { var copy = _log.ToList(); _log.Clear(); return copy; }
    }

    public async Task DisposeAsync()
    {
        _split?.Dispose();
        await Cluster.DisposeAsync();
    }
}

[CollectionDefinition("cluster")]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>;

/// <summary>A worker and a lawyer in an active consultation, each connected with both silo URLs (own silo first).</summary>
public sealed class Pair : IAsyncDisposable
{
    public required HotlineConnection Worker { get; init; }
    public required HotlineConnection Lawyer { get; init; }
    public required string ConsultationId { get; init; }
    public required WorkerToken WorkerLogin { get; init; }
    public required LoginResult LawyerLogin { get; init; }
    /// <summary>Where the worker connected first.</summary>
    public required SiloProcess WorkerSilo { get; init; }
    /// <summary>Where the lawyer connected first.</summary>
    public required SiloProcess LawyerSilo { get; init; }

    /// <param name="fallback">Another web process both may fail over to (when both start on the same one).</param>
    public static async Task<Pair> Start(ITopology cluster, SiloProcess workerSilo, SiloProcess lawyerSilo, string category = "unpaid_wages",
        SiloProcess? fallback = null)
    {
        var lawyerLogin = await cluster.NewLawyer(category);
        Uri[] Urls(SiloProcess own, SiloProcess other) => new[] { own.Url, other.Url, (fallback ?? other).Url }.Distinct().ToArray();
        var lawyer = new HotlineConnection(Urls(lawyerSilo, workerSilo), "/hubs/lawyer", () => lawyerLogin.Token);
        await lawyer.StartAsync();
        await lawyer.Invoke<object?>("SetAvailability", ["available"]);

        var rest = cluster.Rest(workerSilo);
        var workerLogin = await rest.CreateWorker("Test worker");
        var worker = new HotlineConnection(Urls(workerSilo, lawyerSilo), "/hubs/worker", () => workerLogin.Token);
        await worker.StartAsync();
        var c = await rest.OpenConsultation(workerLogin.Token, category, "mandarin", "My boss has not paid me for three months.");
        await worker.JoinConsultation(c.Id);

        await lawyer.Offers.WaitAsync(o => o.ConsultationId == c.Id, TimeSpan.FromSeconds(30));
        var accepted = await lawyer.AcceptOffer(c.Id);
        Assert.Equal("active", accepted.Consultation.Status);
        await worker.Assignments.WaitAsync(a => a.ConsultationId == c.Id, TimeSpan.FromSeconds(30));
        return new Pair
        {
            Worker = worker, Lawyer = lawyer, ConsultationId = c.Id, WorkerLogin = workerLogin, LawyerLogin = lawyerLogin,
            WorkerSilo = workerSilo, LawyerSilo = lawyerSilo,
        };
    }

    /// <summary>Worker, lawyer, worker each send one message (seq 1..3), each side receives the other's pushed across web
    /// processes, the lawyer closes, and <paramref name="rest"/> shows the consultation closed with last seq 3.</summary>
    public async Task ChatAndClose(HotlineRest rest)
    {
        var id = ConsultationId;
        var w1 = await Worker.SendMessage(id, "Hello, my employer owes me 3 months of wages.");
        var l1 = await Lawyer.SendMessage(id, "Hello, do you have a written labor contract?");
        var w2 = await Worker.SendMessage(id, "No, only a verbal agreement.");
        Assert.Equal([1L, 2L, 3L], new[] { w1.Seq, l1.Seq, w2.Seq });
        await Lawyer.Messages.WaitAsync(m => m.ConsultationId == id && m.Seq == 3, TimeSpan.FromSeconds(30));
        await Worker.Messages.WaitAsync(m => m.ConsultationId == id && m.Seq == 2 && m.SenderRole == "lawyer", TimeSpan.FromSeconds(30));

        await Lawyer.Invoke<object?>("CloseConsultation", [id, "answered", "Advised to apply for labor arbitration."]);
        await Worker.StatusChanges.WaitAsync(s => s.ConsultationId == id && s.Status == "closed", TimeSpan.FromSeconds(30));
        var view = await rest.GetConsultation(WorkerLogin.Token, id);
        Assert.Equal("closed", view.Status);
        Assert.Equal(3, view.LastSeq);
    }

    /// <summary>The lawyer is routable: a new consultation opened through <paramref name="rest"/> is offered to them and accepted.</summary>
    public async Task LawyerTakesANewCase(HotlineRest rest, string description)
    {
        var other = await rest.CreateWorker("Second worker");
        var second = await rest.OpenConsultation(other.Token, "unpaid_wages", "mandarin", description);
        // Right after a silo left, an offer may be revoked and made again while the lawyer's connections settle on the
        // survivor (seen once in CI: accept answered "the offer is no longer yours"). Routable means a later offer of
        // the same case is made and can be taken: up to three offers, each newer than the last.
        var after = DateTimeOffset.MinValue;
        for (var attempt = 1; ; attempt++)
        {
            var offer = await Lawyer.Offers.WaitAsync(o => o.ConsultationId == second.Id && o.ExpiresAt > after, TimeSpan.FromSeconds(30));
            try
            {
                await Lawyer.AcceptOffer(second.Id);
                return;
            }
            catch (Microsoft.AspNetCore.SignalR.HubException e) when (attempt < 3 && e.Message.Contains("conflict:", StringComparison.Ordinal))
            {
                after = offer.ExpiresAt;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Leave the lawyer "away" so that a stale connection of a killed silo cannot attract later offers.
        try { await Lawyer.Invoke<object?>("SetAvailability", ["away"], TimeSpan.FromSeconds(10)); } catch { }
        await Worker.DisposeAsync();
        await Lawyer.DisposeAsync();
    }
}

/// <summary>What <see cref="Pair"/> needs of a cluster: lawyers and REST through a given web process.</summary>
public interface ITopology
{
    Task<LoginResult> NewLawyer(string category = "unpaid_wages", string dialect = "mandarin");
    HotlineRest Rest(SiloProcess web);
}
