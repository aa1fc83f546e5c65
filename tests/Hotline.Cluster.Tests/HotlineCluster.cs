namespace Hotline.Cluster.Tests;

/// <summary>
/// A throwaway cluster on loopback: PostgreSQL + redis-server (AOF, as deployed) + two silo processes (cluster mode). Everything is
/// killed and deleted on dispose, and by a watchdog if the test host dies. Missing binaries fail loudly.
/// </summary>
public sealed class HotlineCluster : IAsyncDisposable, ITopology
{
    public const string AdminUser = "admin";
    public const string AdminPassword = "cluster-admin-password-12351";

    private readonly string _folder;
    private readonly ChildGuard _guard;
    private readonly List<SiloProcess> _all = [];
    private string? _adminToken;

    public PostgresServer Postgres { get; }
    public RedisServer Redis { get; }
    public string ClusterId { get; } = "test-" + Guid.NewGuid().ToString("N")[..8];
    public string SigningKey { get; } = "cluster-tests-signing-key-" + Guid.NewGuid().ToString("N");
    /// <summary>The two live silos (index 0 = A, 1 = B). A killed silo is replaced by <see cref="RestoreTwoSilos"/>.</summary>
    public List<SiloProcess> Silos { get; } = [];
    public Action<string> Log { get; set; } = _ => { };

    private HotlineCluster()
    {
        _folder = Directory.CreateTempSubdirectory("hotline-cluster-tests-").FullName;
        Postgres = PostgresServer.In(_folder, Infra.FreePort());
        // Persistent like the deployed Redis (AOF): a restart keeps the Orleans membership table.
        Redis = new RedisServer(Infra.FreePort(), Path.Combine(_folder, "redis"));
        _guard = new ChildGuard(_folder, Postgres.StopCommand);
        Redis.Started += _guard.Add;
    }

    public static async Task<HotlineCluster> Start(Action<string>? log = null)
    {
        Infra.Require(Infra.RedisServer);
        Infra.SiloDll();
        var cluster = new HotlineCluster();
        if (log is not null) cluster.Log = log;
        try
        {
            var sw = Stopwatch.StartNew();
            await cluster.Postgres.InitAndStartAsync();
            await cluster.Redis.Start();
            cluster.Log($"postgres :{cluster.Postgres.Port}, redis :{cluster.Redis.Port} up in {sw.Elapsed.TotalSeconds:0.0} s");
            await cluster.RestoreTwoSilos();
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    public SiloProcess StartSilo(string name) => StartProcess(name, Postgres.ConnectionString, Redis.ConnectionString, ClusterId);

    /// <summary>Starts a process of any mode (killed and cleaned up with this cluster); used by <see cref="SplitCluster"/>.</summary>
    public SiloProcess StartProcess(string name, string postgres, string redis, string clusterId, string mode = "combined",
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var silo = ClusterProcess.Start(name, _folder, postgres, redis, clusterId, SigningKey, mode, environment);
        _guard.Add(silo.Process);
        _all.Add(silo);
        return silo;
    }

    /// <summary>Watches a process that is not a silo process (e.g. another redis-server) for the watchdog.</summary>
    public void Guard(System.Diagnostics.Process process) => _guard.Add(process);

    /// <summary>The scratch folder of this cluster's processes.</summary>
    public string Folder => _folder;

    /// <summary>Starts silos until two are alive, then waits until both are ready and the membership shows two.</summary>
    public async Task RestoreTwoSilos(TimeSpan? timeout = null)
    {
        var sw = Stopwatch.StartNew();
        Silos.RemoveAll(s => s.Killed || s.Process.HasExited);
        var started = new List<SiloProcess>();
        while (Silos.Count < 2)
        {
            var s = StartSilo(Silos.Any(x => x.Name == "siloA") ? "siloB" : "siloA");
            started.Add(s);
            Silos.Add(s);
        }
        // Keep A first / B second by name for readability.
        Silos.Sort((x, y) => string.CompareOrdinal(x.Name, y.Name));
        var limit = timeout ?? TimeSpan.FromSeconds(120);
        foreach (var s in Silos) await WaitReady(s, limit);
        await WaitForMembership(2, limit);
        Log($"two silos ready ({string.Join(", ", Silos.Select(s => $"{s.Name} http:{s.HttpPort} silo:{s.SiloPort}"))}) in {sw.Elapsed.TotalSeconds:0.0} s");
    }

    public HttpClient Http(SiloProcess silo) => new() { BaseAddress = silo.Url, Timeout = TimeSpan.FromSeconds(30) };
    public HotlineRest Rest(SiloProcess silo) => new(Http(silo));

    public static Task WaitReady(SiloProcess silo, TimeSpan limit) => silo.WaitReadyAsync(limit);

    public async Task<string> AdminToken(SiloProcess? via = null)
    {
        if (_adminToken is not null) return _adminToken;
        var login = await Rest(via ?? Silos[0]).Login(AdminUser, AdminPassword);
        return _adminToken = login.Token;
    }

    /// <summary>Waits until every live silo reports <paramref name="count"/> active silos in its metrics.</summary>
    public Task WaitForMembership(int count, TimeSpan limit) =>
        WaitForSiloCount(() => Silos.Where(s => !s.Killed), s => AdminToken(s), count, limit);

    /// <summary>Waits until each web process of <paramref name="webs"/> reports <paramref name="count"/> silos in its metrics.</summary>
    public static async Task WaitForSiloCount(Func<IEnumerable<SiloProcess>> webs, Func<SiloProcess, Task<string>> adminToken, int count, TimeSpan limit)
    {
        var last = "";
        try
        {
            await Wait.Until(async () =>
            {
                var ok = true;
                foreach (var s in webs())
                {
                    try
                    {
                        using var http = new HttpClient { BaseAddress = s.Url, Timeout = TimeSpan.FromSeconds(30) };
                        var m = await new HotlineRest(http).GetMetrics(await adminToken(s));
                        last = $"{s.Name}: {m.Silos}";
                        ok &= m.Silos == count;
                    }
                    catch (Exception e) { last = $"{s.Name}: {e.Message}"; ok = false; }
                }
                return ok;
            }, limit, poll: TimeSpan.FromMilliseconds(500));
        }
        catch (TimeoutException) { throw new TimeoutException($"the silo count did not reach {count} ({last})"); }
    }

    /// <summary>Which live silo hosts the consultation's grain (admin diagnostics endpoint).</summary>
    public async Task<SiloProcess> GrainHost(string consultationId)
    {
        var via = Silos.First(s => !s.Killed);
        using var http = Http(via);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/admin/diagnostics/grain-host?consultationId={consultationId}");
        request.Headers.Authorization = new("Bearer", await AdminToken(via));
        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        var host = (await response.Content.ReadFromJsonAsync<GrainHostView>(HotlineRest.Json))!;
        return Silos.Single(s => s.SiloPort == host.SiloPort);
    }

    public sealed record GrainHostView(string ConsultationId, string Silo, int SiloPort, int Activations);

    /// <summary>Creates a lawyer with a unique username covering one category and dialect; returns its login.</summary>
    public async Task<LoginResult> NewLawyer(string category = "unpaid_wages", string dialect = "mandarin")
    {
        var username = "t" + Guid.NewGuid().ToString("N")[..12];
        var rest = Rest(Silos.First(s => !s.Killed));
        await rest.CreateLawyer(await AdminToken(), username, "password-12351", "Test lawyer " + username, [category], [dialect], 10);
        return await rest.Login(username, "password-12351");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var s in _all) s.Dispose();
        Redis.Dispose();
        await Postgres.StopQuietlyAsync();
        _guard.Dispose();
        try { Directory.Delete(_folder, recursive: true); } catch { }
    }
}
