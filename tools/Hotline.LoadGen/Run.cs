using Hotline.Client;

namespace Hotline.LoadGen;

/// <summary>One run: options, counters, histograms, the report, and the servers it started (disposed at the end).</summary>
internal sealed class Run : IAsyncDisposable
{
    private readonly List<Latency> _latencies = [];
    private readonly List<IAsyncDisposable> _owned = [];

    public Run(Options options, RunReport report, string outDir)
    {
        Options = options;
        Report = report;
        OutDir = outDir;
        Random = new Random(options.Int("seed", 12351));
        View = new LiveView(Counters, () => { lock (_latencies) return _latencies.ToList(); }, !options.Flag("no-live"));
    }

    public Options Options { get; }
    public RunReport Report { get; }
    public string OutDir { get; }
    public Counters Counters { get; } = new();
    public Random Random { get; }
    public LiveView View { get; }
    public ChildServer? Silo { get; private set; }
    public ChildServer? Relay { get; private set; }

    public Latency Latency(string name)
    {
        var l = new Latency(name);
        lock (_latencies) _latencies.Add(l);
        return l;
    }

    public double NextExp(double mean) { lock (Random) return Statistics.Exponential(Random, mean); }
    public int NextInt(int max) { lock (Random) return Random.Next(max); }

    public void Own(IAsyncDisposable d) { lock (_owned) _owned.Add(d); }

    /// <summary>The platform: a spawned silo (--spawn-silo) or --url; logged in as admin.</summary>
    public async Task<Platform> Platform()
    {
        Uri url;
        if (Options.Flag("spawn-silo"))
        {
            View.Phase = "starting silo";
            var env = new Dictionary<string, string> { ["Hotline__Routing__OfferTimeoutSeconds"] = Options.Str("offer-timeout", "60") };
            // Experiments: settings for the silo alone (the relay has --relay-env), e.g. --silo-env DOTNET_gcServer=0.
            foreach (var (k, v) in EnvOption("silo-env")) env[k] = v;
            if ((SiloStages = StagesFile("silo")) is { } stages) env["Hotline__Diagnostics__MessageStagesFile"] = stages;
            Silo = await ChildServer.StartSilo(OutDir, env, Options.StrOrNull("silo-dll"));
            url = Silo.Url;
            Report.Notes.Add($"silo spawned (pid {Silo.Pid}) at {url} with raised rate limits, offer timeout {Options.Str("offer-timeout", "60")} s, no demo lawyers, fresh SQLite data dir");
        }
        else url = new Uri(Options.Str("url", "http://127.0.0.1:5080"));
        var platform = new Platform(url) { Protocol = Protocol };
        Report.Notes.Add($"platform connections use the {Protocol} hub protocol");
        await platform.LoginAdmin(Options.Str("admin-user", "admin"), Options.Str("admin-password", "admin12351"));
        Report.Target = $"Hotline silo at {url}";
        return platform;
    }

    /// <summary>
    /// With <c>--stages</c>, the file a spawned <paramref name="server"/> ("silo" or "relay") logs its message stages to
    /// (a temp file, deleted at the end of the run); else null.
    /// </summary>
    private string? StagesFile(string server)
    {
        if (!Options.Flag("stages")) return null;
        var path = Path.Combine(Path.GetTempPath(), $"hotline-stages-{Environment.ProcessId}-{server}.log");
        lock (_stageFiles) _stageFiles.Add(path);
        return path;
    }

    private readonly List<string> _stageFiles = [];

    /// <summary>The spawned silo's and relay's stage logs (<c>--stages</c>), or null.</summary>
    public string? SiloStages { get; private set; }
    public string? RelayStages { get; private set; }

    /// <summary>Extra environment for a spawned server: <c>--name K=V,K2=V2</c> (a repeated key: the last value).</summary>
    private Dictionary<string, string> EnvOption(string name)
    {
        var env = new Dictionary<string, string>();
        foreach (var kv in Options.List(name, ""))
        {
            var eq = kv.IndexOf('=');
            if (eq <= 0) throw new ArgumentException($"--{name}: '{kv}' is not K=V");
            env[kv[..eq]] = kv[(eq + 1)..];
        }
        return env;
    }

    /// <summary>"durable" for a spawned relay with --relay-store, else "bare".</summary>
    public string RelayKind => Relay is not null && Options.Flag("relay-store") ? "durable" : "bare";

    /// <summary>The bare relay: --relay-url, or spawned.</summary>
    public async Task<Uri> RelayUrl()
    {
        if (Options.StrOrNull("relay-url") is { } given)
        {
            var u = new Uri(given);
            if (!u.IsLoopback) throw new ArgumentException("relay must be on loopback");
            return u;
        }
        View.Phase = "starting relay";
        var durable = Options.Flag("relay-store");
        Relay = await ChildServer.StartRelay(OutDir, Options.StrOrNull("relay-dll"), durable, RelayStages = StagesFile("relay"), EnvOption("relay-env"));
        if (durable) Report.Notes.Add("the relay is the durable relay (--relay-store): each message in SQLite (WAL, synchronous=FULL, group commit) before it is forwarded, the storage floor");
        return Relay.Url;
    }

    public async ValueTask DisposeAsync()
    {
        View.Phase = "stopping";
        List<IAsyncDisposable> owned;
        lock (_owned) owned = [.. _owned];
        await Platform_ForEach(owned);
        if (Silo is not null) await Silo.DisposeAsync();
        if (Relay is not null) await Relay.DisposeAsync();
        lock (_stageFiles) foreach (var f in _stageFiles) File.Delete(f);
    }

    private static async Task Platform_ForEach(List<IAsyncDisposable> owned)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await Parallel.ForEachAsync(owned, new ParallelOptions { MaxDegreeOfParallelism = 64, CancellationToken = cts.Token }, async (d, _) =>
            {
                try { await d.DisposeAsync(); } catch (Exception) { }
            });
        }
        catch (OperationCanceledException) { }
    }

    public static HotlineConnection Own(Run run, HotlineConnection c) { c.Protocol = run.Protocol; run.Own(c); return c; }

    /// <summary>Hub protocol of every platform connection (<c>--protocol json|messagepack</c>, default json).</summary>
    public HubProtocolKind Protocol => Options.Str("protocol", "json").ToLowerInvariant() switch
    {
        "json" => HubProtocolKind.Json,
        "messagepack" or "msgpack" => HubProtocolKind.MessagePack,
        var other => throw new ArgumentException($"unknown --protocol '{other}' (json or messagepack)"),
    };
}
