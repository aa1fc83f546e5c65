namespace Hotline.Cluster.Tests;

/// <summary>
/// The split topology on loopback: two grains-only silos (<c>Hotline:Mode=silo</c>) and two fronts
/// (<c>Hotline:Mode=front</c>, Orleans clients serving REST and hubs). It borrows the shared cluster's PostgreSQL (its
/// own database) and runs its own redis-server, so its membership, grain state and SignalR channels never meet the
/// combined cluster's. Lawyer connection leases are 8 s here (renewed every 2 s) so a dead front's lawyers lapse quickly.
/// </summary>
public sealed class SplitCluster : ITopology, IDisposable
{
    public static readonly IReadOnlyDictionary<string, string> Environment = new Dictionary<string, string>
    {
        ["Hotline__Grains__ConnectionLeaseSeconds"] = "8",
        ["Hotline__Cluster__LawyerRefreshSeconds"] = "2",
    };

    private readonly HotlineCluster _shared;
    private readonly string _postgres;
    private string? _adminToken;

    public RedisServer Redis { get; }
    public string ClusterId { get; } = "split-" + Guid.NewGuid().ToString("N")[..8];
    /// <summary>Live grains-only silos, A then B.</summary>
    public List<SiloProcess> Silos { get; } = [];
    /// <summary>Live fronts, A then B.</summary>
    public List<SiloProcess> Fronts { get; } = [];

    private SplitCluster(HotlineCluster shared, string postgres, RedisServer redis)
    {
        _shared = shared;
        _postgres = postgres;
        Redis = redis;
    }

    public static async Task<SplitCluster> Start(HotlineCluster shared)
    {
        var (postgres, redis) = await OwnStorage(shared, "split");
        var split = new SplitCluster(shared, postgres, redis);
        await split.Restore();
        return split;
    }

    /// <summary>A database of its own on the shared PostgreSQL and a redis-server of its own (watched by the shared
    /// cluster's watchdog): a second cluster's membership, grain state and SignalR channels never meet the first's.</summary>
    public static async Task<(string Postgres, RedisServer Redis)> OwnStorage(HotlineCluster shared, string prefix)
    {
        var database = prefix + Guid.NewGuid().ToString("N")[..8];
        await shared.Postgres.CreateDatabaseAsync(database);
        var redis = new RedisServer(Infra.FreePort());
        await redis.Start();
        shared.Guard(redis.Process);
        return (shared.Postgres.ConnectionString.Replace("Database=hotline", "Database=" + database), redis);
    }

    /// <summary>Starts silos and fronts until two of each are alive, then waits until all are ready and see two silos.</summary>
    public async Task Restore()
    {
        var sw = Stopwatch.StartNew();
        Refill(Silos, "silo");
        Refill(Fronts, "front");
        var limit = TimeSpan.FromSeconds(120);
        foreach (var p in Silos.Concat(Fronts)) await HotlineCluster.WaitReady(p, limit);
        await WaitForSilos(2, limit);
        _shared.Log($"split topology ready: {string.Join(", ", Silos.Concat(Fronts).Select(s => $"{s.Name} http:{s.HttpPort}"))} in {sw.Elapsed.TotalSeconds:0.0} s");
    }

    private void Refill(List<SiloProcess> list, string mode)
    {
        list.RemoveAll(s => s.Killed || s.Process.HasExited);
        while (list.Count < 2)
            list.Add(_shared.StartProcess(mode + (list.Any(x => x.Name == mode + "A") ? "B" : "A"), _postgres, Redis.ConnectionString, ClusterId, mode, Environment));
        list.Sort((x, y) => string.CompareOrdinal(x.Name, y.Name));
    }

    public HotlineRest Rest(SiloProcess web) => new(new HttpClient { BaseAddress = web.Url, Timeout = TimeSpan.FromSeconds(30) });

    private SiloProcess AnyFront => Fronts.First(f => !f.Killed);

    public async Task<string> AdminToken() => _adminToken ??= (await Rest(AnyFront).Login(HotlineCluster.AdminUser, HotlineCluster.AdminPassword)).Token;

    /// <summary>Waits until every live front reports <paramref name="count"/> silos in its metrics.</summary>
    public Task WaitForSilos(int count, TimeSpan limit) =>
        HotlineCluster.WaitForSiloCount(() => Fronts.Where(f => !f.Killed), _ => AdminToken(), count, limit);

    public async Task<LoginResult> NewLawyer(string category = "unpaid_wages", string dialect = "mandarin")
    {
        var username = "s" + Guid.NewGuid().ToString("N")[..12];
        var rest = Rest(AnyFront);
        await rest.CreateLawyer(await AdminToken(), username, "password-12351", "Split lawyer " + username, [category], [dialect], 10);
        return await rest.Login(username, "password-12351");
    }

    /// <summary>The silo hosting the consultation's grain (admin diagnostics, asked through a front).</summary>
    public async Task<SiloProcess> GrainHost(string consultationId)
    {
        using var http = new HttpClient { BaseAddress = AnyFront.Url, Timeout = TimeSpan.FromSeconds(30) };
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/admin/diagnostics/grain-host?consultationId={consultationId}");
        request.Headers.Authorization = new("Bearer", await AdminToken());
        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        var host = (await response.Content.ReadFromJsonAsync<HotlineCluster.GrainHostView>(HotlineRest.Json))!;
        return Silos.Single(s => s.SiloPort == host.SiloPort);
    }

    /// <summary>Processes are killed with the shared cluster; only the extra redis-server is ours.</summary>
    public void Dispose() => Redis.Dispose();
}
