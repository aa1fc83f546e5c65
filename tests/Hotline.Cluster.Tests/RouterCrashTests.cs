using System.Text.Json;

namespace Hotline.Cluster.Tests;

/// <summary>
/// One truth on a real cluster: the silo hosting the router dies (FailFast, like kill -9) at a step of open, transfer and
/// close, right after the router made the command durable and before its effects went out. The router comes back on the
/// surviving silo from its journal; the consistency endpoint there reports 0 mismatches and every waiting consultation
/// is offered to an available lawyer. The steps run one after another on one two-silo cluster of its own (own database
/// and redis on the shared servers, <c>Testing</c> environment so that the crash hook is honoured); each step uses its
/// own dialect, so the lawyers of one step never compete for the next step's consultations.
/// </summary>
[Collection("cluster")]
public sealed class RouterCrashTests(ClusterFixture fixture, ITestOutputHelper output)
{
    private const string Category = "unpaid_wages";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Killing_the_router_silo_at_open_transfer_and_close_leaves_one_truth_and_nobody_stranded()
    {
        var sw = Stopwatch.StartNew();
        await using var cluster = await CrashCluster.Start(fixture.Cluster);
        output.WriteLine($"cluster up in {sw.Elapsed.TotalSeconds:0.0} s");
        foreach (var (step, dialect) in new[] { ("open", "minnan"), ("transfer", "fuzhou"), ("close", "hakka") })
        {
            try
            {
                await Step(cluster, step, dialect, restoreAfter: step != "close");
            }
            catch
            {
                foreach (var s in cluster.Seen) output.WriteLine($"--- {s.Name} ---\n{s.Tail(60)}");
                throw;
            }
            output.WriteLine($"{step}: done at {sw.Elapsed.TotalSeconds:0.0} s");
        }
    }

    private async Task Step(CrashCluster cluster, string step, string dialect, bool restoreAfter)
    {
        var rest = cluster.Rest(cluster.Silos[0]);
        var worker = await rest.CreateWorker("路由崩溃工人");
        var first = await cluster.NewLawyer(dialect, capacity: step == "open" ? 2 : 1);
        var second = await cluster.NewLawyer(dialect, capacity: 1);
        await using var clients = new Clients();
        var waiting = new List<string>(); // must be offered after the crash
        string expected; // to this lawyer
        switch (step)
        {
            case "open":
                // Nobody is online: this one waits through the crash; the next open dies in the router. The front retries
                // a call that met a dead silo, so that open may still succeed on the survivor: then it waits too.
                waiting.Add((await rest.OpenConsultation(worker.Token, Category, dialect, "等待中")).Id);
                expected = first.UserId;
                cluster.Arm("router-enqueue");
                try
                {
                    waiting.Add((await rest.OpenConsultation(worker.Token, Category, dialect, "开单时路由崩溃")).Id);
                    output.WriteLine("open: the open at the crash was retried on the survivor and succeeded");
                }
                catch (Exception e) when (e is HotlineApiException or HttpRequestException or TaskCanceledException)
                {
                    output.WriteLine($"open: the open at the crash failed ({e.GetType().Name}: {e.Message})");
                }
                break;
            case "transfer":
            {
                var a = await clients.Lawyer(cluster.Silos, first);
                var chat = await rest.OpenConsultation(worker.Token, Category, dialect, "要转介的咨询");
                await a.AcceptOffer((await a.Offers.WaitAsync(o => o.ConsultationId == chat.Id, Wait)).ConsultationId);
                await clients.Lawyer(cluster.Silos, second); // online before the crash: the transfer excludes a, so it goes to b
                (expected, waiting) = (second.UserId, [chat.Id]);
                cluster.Arm("router-enqueue");
                Ignore(a.Invoke<JsonElement>("Transfer", [chat.Id, new { toCategory = Category }]));
                break;
            }
            default:
            {
                // a (capacity 1) is full; the close frees it and the router offers the waiting one to a in the same
                // command: the crash loses that offer's push, which the reconciliation must deliver.
                var a = await clients.Lawyer(cluster.Silos, first);
                var chat = await rest.OpenConsultation(worker.Token, Category, dialect, "要结束的咨询");
                await a.AcceptOffer((await a.Offers.WaitAsync(o => o.ConsultationId == chat.Id, Wait)).ConsultationId);
                (expected, waiting) = (first.UserId, [(await rest.OpenConsultation(worker.Token, Category, dialect, "排队中")).Id]);
                cluster.Arm("router-release");
                Ignore(a.Invoke<JsonElement>("CloseConsultation", [chat.Id, "answered", null]));
                break;
            }
        }

        var victim = await cluster.WaitForACrash(Wait);
        var survivor = cluster.Silos.Single(s => s != victim);
        output.WriteLine($"{step}: {victim.Name} (the router's silo) died; {survivor.Name} survives");
        // The next step needs two silos again: the replacement starts now, while this step's checks run on the survivor.
        var restored = restoreAfter ? cluster.Restore() : Task.CompletedTask;

        await cluster.AssertConsistent(survivor, output);
        // Every waiting consultation is offered to an available lawyer (who connects now if nobody was online).
        var lawyer = clients.Existing(expected) ?? await clients.Lawyer([survivor], expected == first.UserId ? first : second);
        foreach (var id in waiting)
        {
            await AcceptEventually(lawyer, id, output);
            var view = await cluster.Rest(survivor).GetConsultation(worker.Token, id);
            Assert.Equal(("active", expected), (view.Status, view.AssignedLawyerId));
        }
        await cluster.AssertConsistent(survivor, output);
        await restored;
    }

    /// <summary>
    /// Accepts the consultation's offer. An offer pushed around the failover (the repair's, or one the router withdrew
    /// when the lawyer's connection moved silos) can be gone by the time it is accepted ("no longer yours"): what must
    /// hold is that an acceptable offer follows, so a refused one waits for the next offer of that consultation.
    /// </summary>
    private static async Task AcceptEventually(HotlineConnection lawyer, string id, ITestOutputHelper output)
    {
        var deadline = DateTime.UtcNow + Wait;
        for (var refused = 0; ; refused++)
        {
            var skip = refused; // the first `refused` offers of this consultation were tried already
            var left = deadline - DateTime.UtcNow;
            await lawyer.Offers.WaitAsync(o => o.ConsultationId == id && skip-- <= 0, left > TimeSpan.Zero ? left : TimeSpan.FromSeconds(1));
            try
            {
                await lawyer.AcceptOffer(id);
                return;
            }
            catch (Microsoft.AspNetCore.SignalR.HubException e) when (e.Message.Contains("conflict: the offer is no longer yours", StringComparison.Ordinal))
            {
                output.WriteLine($"offer {refused + 1} of {id} was stale at accept; waiting for the next");
            }
        }
    }

    /// <summary>The hub call dies with the silo (or is retried on the survivor): its outcome is checked through state.</summary>
    private static void Ignore(Task call) => call.ContinueWith(t => t.Exception, TaskScheduler.Default);

    /// <summary>One step's lawyer connections, each with every live silo's URL so that it fails over; away on dispose.</summary>
    private sealed class Clients : IAsyncDisposable
    {
        private readonly Dictionary<string, HotlineConnection> _byLawyer = [];

        public HotlineConnection? Existing(string lawyerId) => _byLawyer.GetValueOrDefault(lawyerId);

        public async Task<HotlineConnection> Lawyer(IEnumerable<SiloProcess> via, LoginResult login)
        {
            var hub = new HotlineConnection(via.Select(s => s.Url).ToList(), "/hubs/lawyer", () => login.Token);
            _byLawyer[login.UserId] = hub;
            await hub.StartAsync();
            await hub.Invoke<JsonElement>("SetAvailability", ["available"]);
            return hub;
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var hub in _byLawyer.Values)
            {
                try { await hub.Invoke<object?>("SetAvailability", ["away"], TimeSpan.FromSeconds(10)); } catch { }
                await hub.DisposeAsync();
            }
        }
    }
}

/// <summary>
/// Two combined silos in the <c>Testing</c> environment with the crash hook armed through a file
/// (<c>Hotline:Testing:CrashFile</c>: the process that reaches the step written there dies, once), reconciling every
/// second, on a database and a redis-server of their own.
/// </summary>
public sealed class CrashCluster : IAsyncDisposable
{
    private readonly HotlineCluster _shared;
    private readonly string _postgres;
    private readonly RedisServer _redis;
    private readonly string _crashFile;
    private readonly Dictionary<string, string> _environment;
    private string? _adminToken;

    public string ClusterId { get; } = "crash-" + Guid.NewGuid().ToString("N")[..8];
    /// <summary>The live silos, A then B.</summary>
    public List<SiloProcess> Silos { get; } = [];
    /// <summary>Every silo this cluster started (for the logs of a failure).</summary>
    public List<SiloProcess> Seen { get; } = [];

    private CrashCluster(HotlineCluster shared, string postgres, RedisServer redis)
    {
        (_shared, _postgres, _redis) = (shared, postgres, redis);
        _crashFile = Path.Combine(shared.Folder, ClusterId + ".crash");
        _environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Testing",
            ["Hotline__Testing__CrashFile"] = _crashFile,
            ["Hotline__Grains__ReconcileSeconds"] = "1",
        };
    }

    public static async Task<CrashCluster> Start(HotlineCluster shared)
    {
        var (postgres, redis) = await SplitCluster.OwnStorage(shared, "crash");
        var cluster = new CrashCluster(shared, postgres, redis);
        await cluster.Restore();
        return cluster;
    }

    /// <summary>Starts silos until two are alive, and waits until both are ready and see two silos.</summary>
    public async Task Restore()
    {
        Silos.RemoveAll(s => s.Process.HasExited);
        while (Silos.Count < 2)
        {
            Silos.Add(_shared.StartProcess("crash" + (Silos.Any(s => s.Name == "crashA") ? "B" : "A"), _postgres, _redis.ConnectionString, ClusterId,
                environment: _environment));
            Seen.Add(Silos[^1]);
        }
        Silos.Sort((x, y) => string.CompareOrdinal(x.Name, y.Name));
        var limit = TimeSpan.FromSeconds(120);
        foreach (var s in Silos) await HotlineCluster.WaitReady(s, limit);
        var until = DateTime.UtcNow + limit;
        while (true)
        {
            var seen = new List<int>();
            foreach (var s in Silos)
            {
                try { seen.Add((await Rest(s).GetMetrics(await AdminToken())).Silos); } catch (HttpRequestException) { seen.Add(0); }
            }
            if (seen.All(n => n == 2)) return;
            if (DateTime.UtcNow > until) throw new TimeoutException($"membership did not reach 2 silos ({string.Join(", ", seen)})");
            await Task.Delay(500); // polling membership, not waiting for an event
        }
    }

    /// <summary>Arms the crash hook: the next process to reach <paramref name="step"/> dies there.</summary>
    public void Arm(string step) => File.WriteAllText(_crashFile, step);

    /// <summary>The silo that died at the armed step.</summary>
    public async Task<SiloProcess> WaitForACrash(TimeSpan limit)
    {
        using var cts = new CancellationTokenSource(limit);
        var exited = await Task.WhenAny(Silos.Select(async s => { await s.Process.WaitForExitAsync(cts.Token); return s; }));
        var victim = await exited;
        Assert.True(File.Exists(_crashFile + ".fired"), "a silo died, but not at the armed step:\n" + victim.Tail());
        File.Delete(_crashFile + ".fired");
        return victim;
    }

    /// <summary>Polls the survivor's consistency check until it reports no mismatch.</summary>
    public async Task AssertConsistent(SiloProcess via, ITestOutputHelper output)
    {
        var until = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var report = await Rest(via).Send<JsonElement>(HttpMethod.Get, "/api/admin/diagnostics/consistency", await AdminToken());
            if (report.GetProperty("mismatches").GetArrayLength() == 0) return;
            output.WriteLine("mismatches: " + report.GetProperty("mismatches"));
            Assert.True(DateTime.UtcNow < until, "still inconsistent after 60 s: " + report);
            await Task.Delay(500); // polling an endpoint, not waiting for an event
        }
    }

    public HotlineRest Rest(SiloProcess silo) => _shared.Rest(silo);

    private SiloProcess AnyLive => Silos.First(s => !s.Process.HasExited);

    public async Task<string> AdminToken() =>
        _adminToken ??= (await Rest(AnyLive).Login(HotlineCluster.AdminUser, HotlineCluster.AdminPassword)).Token;

    /// <summary>A lawyer for <see cref="RouterCrashTests"/>' category and this dialect.</summary>
    public async Task<LoginResult> NewLawyer(string dialect, int capacity)
    {
        var username = "r" + Guid.NewGuid().ToString("N")[..12];
        var rest = Rest(AnyLive);
        await rest.CreateLawyer(await AdminToken(), username, "password-12351", "路由律师 " + username, ["unpaid_wages"], [dialect], capacity);
        return await rest.Login(username, "password-12351");
    }

    /// <summary>Its silos are killed (they are the shared cluster's children too); the redis-server is its own.</summary>
    public ValueTask DisposeAsync()
    {
        foreach (var s in Silos) s.KillHard();
        _redis.Dispose();
        return ValueTask.CompletedTask;
    }
}
