using System.Net;

namespace Hotline.Cluster.Tests;

/// <summary>
/// Outages of the cluster's infrastructure during a conversation, on real processes: Redis hangs (SIGSTOP, then
/// SIGCONT), Redis is stopped or killed and started again with its data (AOF, as deployed), and PostgreSQL stops long
/// enough for the storage retries to give up. While the platform cannot work it says so (<c>unavailable</c>, asserted,
/// each call answered within a bound); it recovers by itself; every acknowledged message is stored once, seq without
/// gaps; a lawyer connected throughout is still online and routable. (Redis restarted empty: RedisLossTests.)
/// </summary>
[Collection("cluster")]
public sealed class OutageTests(ClusterFixture fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);
    /// <summary>Longest a hub call may wait for its answer during an outage (the backplane probe needs ~2-3 s to notice).</summary>
    private static readonly TimeSpan CallBound = TimeSpan.FromSeconds(10);

    [Fact]
    public Task Redis_hanging_during_traffic_answers_unavailable_then_recovers_by_itself_losing_nothing() =>
        RedisOutage("frozen (SIGSTOP)", redis => redis.Freeze(), redis => redis.Thaw());

    /// <summary>Redis stopped as an operator would (SIGTERM: it writes its AOF and exits) or crashing (SIGKILL: up to the
    /// last second of AOF lost), down for ~12 s, then started again on its port and data folder (the deployed
    /// configuration). The membership table comes back with it.</summary>
    [Theory]
    [InlineData("TERM")]
    [InlineData("KILL")]
    public Task Redis_stopped_and_restarted_with_its_data_during_traffic_answers_unavailable_then_recovers_losing_nothing(string signal) =>
        RedisOutage($"stopped (SIG{signal})", redis => redis.Stop(signal), redis => redis.Start(), downFor: TimeSpan.FromSeconds(12));

    /// <summary>
    /// A two-way chat across silos (worker on A, lawyer on B) and a second lawyer connected and waiting throughout, while
    /// Redis (membership table and SignalR backplane) is taken down by <paramref name="takeDown"/> and brought back by
    /// <paramref name="bringBack"/>. While down: the hub answers <c>unavailable</c> (no hang, no other error), a REST write
    /// 503 <c>unavailable</c>, a REST read 200. After: sends acknowledged again by themselves, every acknowledged message
    /// stored once with seq 1..N, events cross silos both ways, the waiting lawyer still online and offered the next
    /// case, and the membership table lists both silos active.
    /// </summary>
    private async Task RedisOutage(string what, Func<RedisServer, Task> takeDown, Func<RedisServer, Task> bringBack, TimeSpan? downFor = null)
    {
        await using var pair = await fixture.PairAcrossSilos(output);
        await RedisOutage(fixture.Cluster, pair, output, what, takeDown, bringBack, downFor);
    }

    /// <summary><see cref="RedisOutage(string, Func{RedisServer, Task}, Func{RedisServer, Task}, TimeSpan?)"/> on any
    /// cluster and pair (worker on A, lawyer on B).</summary>
    internal static async Task RedisOutage(HotlineCluster cluster, Pair pair, ITestOutputHelper output, string what,
        Func<RedisServer, Task> takeDown, Func<RedisServer, Task> bringBack, TimeSpan? downFor = null)
    {
        var (a, b, id) = (pair.WorkerSilo, pair.LawyerSilo, pair.ConsultationId);
        // A lawyer who only waits, connected throughout: the outage must not take them offline.
        var waiting = await cluster.NewLawyer("work_injury");
        await using var waitingHub = new HotlineConnection([b.Url], "/hubs/lawyer", () => waiting.Token);
        await waitingHub.StartAsync();
        await waitingHub.Invoke<object?>("SetAvailability", ["available"]);

        var restCaller = await cluster.Rest(a).CreateWorker("REST caller");

        await using var raw = Hubs.Raw(a.Url, "/hubs/worker", pair.WorkerLogin.Token);
        await raw.StartAsync();
        var worker = new PatientSender(raw, id, "worker");
        var lawyer = new Sender(pair.Lawyer, id, "lawyer");
        using var stop = new CancellationTokenSource();
        var loops = new[] { worker.Run(stop.Token, Interval), lawyer.Run(stop.Token, Interval) };
        await Wait.Until(() => worker.Acked.Count >= 5, TimeSpan.FromSeconds(30));

        var sw = Stopwatch.StartNew();
        await takeDown(cluster.Redis);
        output.WriteLine($"redis {what}");
        (HttpStatusCode Status, string? Code) restWrite;
        HttpStatusCode restRead;
        try
        {
            await Wait.Until(() => worker.Unavailable > 0, TimeSpan.FromSeconds(60),
                () => $"no 'unavailable' answer while Redis is down (worker: {worker.Acked.Count} acknowledged, errors: {string.Join("; ", worker.OtherErrors.Take(3))})\n" +
                      string.Join("\n", cluster.Silos.Select(s => $"--- {s.Name}:\n{s.Tail(25)}")));
            output.WriteLine($"'unavailable' answered {sw.Elapsed.TotalSeconds:0.0} s after Redis went down");
            // REST the same way: a write (its offers could not be pushed) answers 503 unavailable, a read is served.
            // The first refusal may have come from the consultation's silo; wait until silo A's own gate refuses (probed
            // with an invalid body: 400 with no state change until then).
            await Wait.Until(async () => (await OpenByRest(a, restCaller.Token, category: "")).Status == HttpStatusCode.ServiceUnavailable,
                TimeSpan.FromSeconds(30), () => "silo A's REST gate did not refuse writes");
            restWrite = await OpenByRest(a, restCaller.Token);
            restRead = await Get(a, $"/api/consultations/{id}", pair.WorkerLogin.Token);
            output.WriteLine($"REST while Redis is down: POST /api/consultations {restWrite}, GET /api/consultations/{{id}} {restRead}");
            // The outage lasts a while after the first refusal (its length, not a wait for something): callers keep
            // being answered, each send refused quickly rather than left hanging.
            if (downFor is { } down)
            {
                var refusedSince = worker.Unavailable;
                await Task.Delay(down);
                output.WriteLine($"{worker.Unavailable - refusedSince} more 'unavailable' answers in {down.TotalSeconds:0} s, longest send so far {worker.LongestSend.TotalSeconds:0.0} s");
                Assert.True(worker.Unavailable > refusedSince, "callers were not answered 'unavailable' during the outage");
            }
        }
        finally
        {
            await bringBack(cluster.Redis);
        }
        var back = DateTimeOffset.UtcNow;
        output.WriteLine($"redis back after {sw.Elapsed.TotalSeconds:0.0} s");
        Assert.Equal((HttpStatusCode.ServiceUnavailable, "unavailable"), restWrite);
        Assert.Equal(HttpStatusCode.OK, restRead);
        await Wait.Until(() => worker.AckedAfter(back) >= 10, TimeSpan.FromSeconds(90), () => $"only {worker.AckedAfter(back)} sends after Redis came back");
        output.WriteLine($"10 sends acknowledged {(DateTimeOffset.UtcNow - back).TotalSeconds:0.0} s after Redis came back");
        stop.Cancel();
        await Task.WhenAll(loops);
        output.WriteLine($"worker: {worker.Acked.Count} acknowledged, {worker.Unavailable} unavailable, longest send {worker.LongestSend.TotalSeconds:0.0} s, " +
                         $"longest call {worker.LongestAttempt.TotalSeconds:0.0} s; lawyer: {lawyer.AckedMessages.Count} acknowledged, {lawyer.Failures.Count} failures");
        foreach (var e in worker.OtherErrors) output.WriteLine("  worker error: " + e);
        foreach (var f in lawyer.Failures) output.WriteLine("  lawyer failure: " + f.Message);
        Assert.Empty(worker.OtherErrors);
        // No caller left hanging: every call was answered (acknowledged or refused) within the bound.
        Assert.True(worker.LongestAttempt < CallBound, $"a call waited {worker.LongestAttempt.TotalSeconds:0.0} s for an answer");

        var acked = worker.Acked.Concat(lawyer.AckedMessages).ToList();
        var transcript = await Transcripts.ReadAll(cluster.Rest(a), pair.WorkerLogin.Token, id);
        Transcripts.Verify(transcript, acked);
        output.WriteLine($"transcript seq 1..{transcript.Count} verified");

        // Events cross silos again, both ways: the lawyer on B gets what the worker sends on A, and the other way round.
        // Every send acknowledged after Redis came back reached the other side: the platform took no message it could
        // not push (the backplane's subscriptions come back seconds after its commands).
        var afterwards = worker.Acked.Where(m => m.Started > back).ToList();
        try
        {
            foreach (var m in afterwards)
                await pair.Lawyer.Messages.WaitAsync(x => x.ConsultationId == id && x.Seq == m.Seq, TimeSpan.FromSeconds(30));
            // Events cross silos again, both ways: the lawyer on B gets what the worker sends on A, and the other way round.
            var last = await pair.Worker.SendMessage(id, "after the outage");
            await pair.Lawyer.Messages.WaitAsync(m => m.ConsultationId == id && m.Seq == last.Seq, TimeSpan.FromSeconds(30));
            var reply = await pair.Lawyer.SendMessage(id, "Received, after the outage.");
            await pair.Worker.Messages.WaitAsync(m => m.ConsultationId == id && m.Seq == reply.Seq, TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException)
        {
            output.WriteLine($"the lawyer got seq {string.Join(",", pair.Lawyer.Messages.Items.Where(m => m.ConsultationId == id).Select(m => m.Seq))}; " +
                             $"acknowledged after the restart: {string.Join(",", afterwards.Select(m => m.Seq))}");
            foreach (var s in cluster.Silos) output.WriteLine($"--- {s.Name}:\n{s.Tail(40)}");
            throw;
        }
        output.WriteLine($"the lawyer received all {afterwards.Count} worker messages acknowledged after the restart; events cross both ways");

        // The waiting lawyer never lapsed: online in the roster, and offered the next case.
        var admin = await cluster.AdminToken();
        Assert.True((await cluster.Rest(a).GetLawyers(admin)).Single(l => l.Id == waiting.UserId).Connected, "the waiting lawyer lapsed");
        var rest = cluster.Rest(a);
        var next = await rest.OpenConsultation((await rest.CreateWorker("Next worker")).Token, "work_injury", "mandarin", "A case after the Redis outage.");
        await waitingHub.Offers.WaitAsync(o => o.ConsultationId == next.Id, TimeSpan.FromSeconds(30));
        await waitingHub.AcceptOffer(next.Id);
        await waitingHub.Invoke<object?>("SetAvailability", ["away"]);

        // The membership table (in Redis) lists both silos active: a silo can still join or be declared dead.
        var silos = cluster.Silos.Select(s => s.SiloPort).Order().ToList();
        var active = new List<int>();
        await Wait.Until(async () => (active = await ClusterMembership.ActiveSilos(cluster.Redis, cluster.ClusterId)).Order().SequenceEqual(silos),
            TimeSpan.FromSeconds(60), () => $"the membership table lists {string.Join(", ", active)} active, not {string.Join(", ", silos)}\n" +
                                            string.Join("\n", cluster.Silos.Select(s => $"--- {s.Name}:\n{s.Tail(30)}")));
        output.WriteLine("membership table: active " + string.Join(", ", active));
    }

    [Fact]
    public async Task Postgres_down_beyond_the_retry_budget_answers_unavailable_then_recovers_losing_nothing()
    {
        await using var pair = await fixture.PairAcrossSilos(output);
        var (cluster, a, b, id) = (fixture.Cluster, pair.WorkerSilo, pair.LawyerSilo, pair.ConsultationId);
        var rest = cluster.Rest(a);
        var other = await rest.CreateWorker("REST caller");

        await using var raw = Hubs.Raw(a.Url, "/hubs/worker", pair.WorkerLogin.Token);
        await raw.StartAsync();
        var worker = new PatientSender(raw, id, "worker");
        using var stop = new CancellationTokenSource();
        var loop = worker.Run(stop.Token, Interval);
        await Wait.Until(() => worker.Acked.Count >= 5, TimeSpan.FromSeconds(30));

        await cluster.Postgres.StopAsync();
        output.WriteLine("postgres stopped");
        (HttpStatusCode Status, string? Code)[] restAnswers;
        try
        {
            // A REST write on each silo while PostgreSQL is gone: 503 with code unavailable. Whichever silo hosts the
            // grains that fail, one of the two calls reaches them from the other silo: the failure crosses the Orleans
            // wire as StorageUnavailableException and is mapped by its type.
            restAnswers = await Task.WhenAll(cluster.Silos.Select(s => OpenByRest(s, other.Token)));
            output.WriteLine($"REST POST /api/consultations on each silo while PostgreSQL is down: {string.Join(", ", restAnswers)}");
            if (restAnswers.Any(r => r.Code != "unavailable")) output.WriteLine(string.Join("\n", cluster.Silos.Select(s => $"--- {s.Name}:\n{s.Tail(40)}")));
            await Wait.Until(() => worker.Unavailable > 0, TimeSpan.FromSeconds(120),
                () => $"no 'unavailable' answer on the hub while PostgreSQL is down (worker: {worker.Acked.Count} acknowledged, errors: {string.Join("; ", worker.OtherErrors.Take(3))})\n" +
                      string.Join("\n", cluster.Silos.Select(s => $"--- {s.Name}:\n{s.Tail(25)}")));
            output.WriteLine($"hub answered 'unavailable' ({worker.Unavailable} so far)");
        }
        finally
        {
            await cluster.Postgres.StartAsync();
        }
        var back = DateTimeOffset.UtcNow;
        output.WriteLine("postgres started again");
        await Wait.Until(() => worker.AckedAfter(back) >= 5, TimeSpan.FromSeconds(120), () => $"only {worker.AckedAfter(back)} sends after PostgreSQL came back");
        stop.Cancel();
        await loop;
        output.WriteLine($"worker: {worker.Acked.Count} acknowledged, {worker.Unavailable} unavailable, longest send {worker.LongestSend.TotalSeconds:0.0} s");
        foreach (var e in worker.OtherErrors) output.WriteLine("  worker error: " + e);

        Assert.All(restAnswers, r => Assert.Equal((HttpStatusCode.ServiceUnavailable, "unavailable"), r));
        Assert.Empty(worker.OtherErrors);
        var transcript = await Transcripts.ReadAll(rest, pair.WorkerLogin.Token, id);
        Transcripts.Verify(transcript, worker.Acked);
        Assert.Equal(worker.Acked.Count, transcript.Count);
        output.WriteLine($"transcript seq 1..{transcript.Count} verified");
        // The conversation goes on both ways.
        var reply = await pair.Lawyer.SendMessage(id, "Back after the database outage.");
        await pair.Worker.Messages.WaitAsync(m => m.ConsultationId == id && m.Seq == reply.Seq, TimeSpan.FromSeconds(30));
    }

    /// <summary><c>POST /api/consultations</c> on <paramref name="silo"/>: the status and, on failure, the problem's code
    /// (the client waits longer than the storage retry budget).</summary>
    private static async Task<(HttpStatusCode Status, string? Code)> OpenByRest(SiloProcess silo, string token, string category = "dismissal")
    {
        using var http = new HttpClient { BaseAddress = silo.Url, Timeout = TimeSpan.FromSeconds(120) };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/consultations")
        {
            Content = JsonContent.Create(new { category, dialect = "mandarin", summary = "Opened during an outage." }),
        };
        request.Headers.Authorization = new("Bearer", token);
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, response.IsSuccessStatusCode ? null : System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("code").GetString());
    }

    private static async Task<HttpStatusCode> Get(SiloProcess silo, string path, string token)
    {
        using var http = new HttpClient { BaseAddress = silo.Url, Timeout = TimeSpan.FromSeconds(60) };
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new("Bearer", token);
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }
}
