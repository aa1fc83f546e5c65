using Hotline.Client;

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
        return new Pair { Worker = worker, Lawyer = lawyer, ConsultationId = c.Id, WorkerLogin = workerLogin, LawyerLogin = lawyerLogin };
    }

    public async ValueTask DisposeAsync()
    {
        // Leave the lawyer "away" so that a stale connection of a killed silo cannot attract later offers.
        try { await Lawyer.Invoke<object?>("SetAvailability", ["away"], TimeSpan.FromSeconds(10)); } catch { }
        await Worker.DisposeAsync();
        await Lawyer.DisposeAsync();
    }
}

/// <summary>Sends a message every <c>interval</c> until stopped; records what was acknowledged and when.</summary>
public sealed class Sender(HotlineConnection connection, string consultationId, string who)
{
    public sealed record Acked(string ClientMessageId, string Text, long Seq, bool Duplicate, DateTimeOffset Started, DateTimeOffset Completed);

    private readonly List<Acked> _acked = [];
    private readonly List<Exception> _failures = [];

    public IReadOnlyList<Acked> AckedMessages { get { lock (_acked) return _acked.ToList(); } }
    public IReadOnlyList<Exception> Failures { get { lock (_failures) return _failures.ToList(); } }

    /// <summary>Waits until at least <paramref name="count"/> sends were acknowledged.</summary>
    public async Task WaitForAcked(int count, TimeSpan limit)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        while (AckedMessages.Count < count)
        {
            if (sw.Elapsed > limit) throw new TimeoutException($"{who}: only {AckedMessages.Count} of {count} sends acknowledged");
            await Task.Delay(50);
        }
    }

    public Task Run(CancellationToken stop, TimeSpan interval) => Task.Run(async () =>
    {
        for (var n = 1; !stop.IsCancellationRequested; n++)
        {
            var id = $"{who}-{n}-{Guid.NewGuid():N}";
            var text = $"{who} message {n}";
            var started = DateTimeOffset.UtcNow;
            try
            {
                var ack = await connection.SendMessage(consultationId, text, id, TimeSpan.FromSeconds(60));
                lock (_acked) _acked.Add(new Acked(id, text, ack.Seq, ack.Duplicate, started, DateTimeOffset.UtcNow));
            }
            catch (Exception e)
            {
                lock (_failures) _failures.Add(e);
            }
            try { await Task.Delay(interval, stop); } catch (OperationCanceledException) { }
        }
    });
}

/// <summary>Checks of a stored transcript against what clients were told.</summary>
public static class Transcripts
{
    public static async Task<List<ChatMessage>> ReadAll(HotlineRest rest, string token, string consultationId)
    {
        var all = new List<ChatMessage>();
        while (true)
        {
            var page = await rest.GetMessages(token, consultationId, all.Count == 0 ? 0 : all[^1].Seq, 1000);
            all.AddRange(page);
            if (page.Count < 1000) return all;
        }
    }

    /// <summary>seq 1..N without gaps, each clientMessageId once, every acknowledged message stored with its seq and text.</summary>
    public static void Verify(IReadOnlyList<ChatMessage> transcript, IEnumerable<Sender.Acked> acked)
    {
        for (var i = 0; i < transcript.Count; i++)
            Assert.True(transcript[i].Seq == i + 1, $"seq gap: position {i} has seq {transcript[i].Seq}");
        var duplicates = transcript.GroupBy(m => m.ClientMessageId).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.True(duplicates.Count == 0, "clientMessageIds stored more than once: " + string.Join(", ", duplicates));
        var byId = transcript.ToDictionary(m => m.ClientMessageId);
        foreach (var a in acked)
        {
            Assert.True(byId.TryGetValue(a.ClientMessageId, out var stored), $"acknowledged message {a.ClientMessageId} (seq {a.Seq}) is missing");
            Assert.Equal(a.Seq, stored!.Seq);
            Assert.Equal(a.Text, stored.Text);
        }
    }
}

/// <summary>What <see cref="Pair"/> needs of a cluster: lawyers and REST through a given web process.</summary>
public interface ITopology
{
    Task<LoginResult> NewLawyer(string category = "unpaid_wages", string dialect = "mandarin");
    HotlineRest Rest(SiloProcess web);
}
