using System.Globalization;

namespace Hotline.LoadGen;

/// <summary>Command-line options: <c>--name value</c> pairs and <c>--flag</c> switches.</summary>
internal sealed class Options
{
    private readonly Dictionary<string, string> _values = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _used = new(StringComparer.OrdinalIgnoreCase);

    public Options(string[] args)
    {
        Raw = args;
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal)) throw new ArgumentException($"unexpected argument '{args[i]}'");
            var key = args[i][2..];
            var eq = key.IndexOf('=');
            if (eq > 0) { _values[key[..eq]] = key[(eq + 1)..]; continue; }
            if (i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal)) _values[key] = args[++i];
            else _values[key] = "true";
        }
    }

    public string[] Raw { get; }

    public string Str(string key, string fallback) { _used.Add(key); return _values.TryGetValue(key, out var v) ? v : fallback; }
    public string? StrOrNull(string key) { _used.Add(key); return _values.TryGetValue(key, out var v) ? v : null; }
    public double Num(string key, double fallback) => double.Parse(Str(key, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
    public int Int(string key, int fallback) => int.Parse(Str(key, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
    public bool Flag(string key) => Str(key, "false") is "true" or "1" or "yes";
    public string[] List(string key, string fallback) => Str(key, fallback).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Options given but never read: almost always a typo.</summary>
    public IEnumerable<string> Unused => _values.Keys.Where(k => !_used.Contains(k));

    public IReadOnlyDictionary<string, string> Given => _values;

    public const string Help = """
        Hotline.LoadGen: drives Hotline12351 through its public contract (REST + SignalR) and compares with a bare relay.

          dotnet run -c Release --project tools/Hotline.LoadGen -- --scenario <name> [options]

        target:   --spawn-silo (start the built silo dll on free loopback ports, temp data dir; killed at the end)
                  --url http://127.0.0.1:5080 (a running silo; loopback only) --admin-user admin --admin-password admin12351
                  --relay-url <url> (a running relay; otherwise the relay is spawned when a scenario needs it)
                  --relay-store (the spawned relay stores each message durably before forwarding it: the storage floor)
                  --offer-timeout 60 (spawned silo: Hotline__Routing__OfferTimeoutSeconds)
                  --silo-env K=V,K2=V2 (spawned silo only: extra environment, e.g. DOTNET_gcServer=0)
                  --relay-env K=V,K2=V2 (spawned relay only: the same for the baseline)
        protocol: --protocol json|messagepack (hub protocol of the platform's connections; default json)
        output:   --out <dir> (default ./loadgen-results) --name <run name> --no-live --seed 12351
        scenarios:
          mixed    Poisson arrivals over categories x dialects, lawyers accept after a delay, chat, exponential handle, close.
                   --duration 20 --rate 2 --max-arrivals 100000 --categories a,b --dialects x,y --lawyers 10 --capacity 3
                   --lawyer-skills (default: all --categories) --lawyer-dialects (default: all --dialects)
                   --accept-delay-ms 200 --handle-mean 5 --chat-rate 1 (messages/s per side of each active consultation)
          latency  (a) worker->lawyer message latency, platform vs relay: --pairs 20 --msg-rate 20 (per pair) --duration 20 --warmup 30
                   --rounds 1 (N > 1: both sides stay up, N alternated windows of --duration s each, pooled)
                   --stages (spawned silo and relay log when each message passed each stage; the report gives p50/p99 per
                   stage, where the slowest 1 % spent their time, and this process's GC during each measured window)
                   --client-no-gc-mb 256 (this process asks for a no-GC region of that size, 16 MB of it for large
                   objects, through each measured window, either side, so its own collections do not stall the
                   receivers; reported per window: held, ended by a collection, or not started; also in topology; 0: off)
          routing  (b) POST /api/consultations -> Offer, vs GET /api/catalog round trip at the same rate:
                   --rate 50 --duration 25 --lawyers 50 --capacity 10 --handle-mean 0.2
          erlang   (c) M/M/N: --servers 20 --erlangs 17 --handle-mean 2 --arrivals 2500 --epsilon 0.05 --batches 20 --warmup-fraction 0.1
          soak     steady realistic load, lawyers coming and going; the silo's RSS, GC heap, thread pool, p99, errors per sample:
                   --duration 1800 --sample-seconds 60 --rate 0.5 --lawyers 12 --capacity 3 --handle-mean 30 --chat-rate 0.5
                   --churn-seconds 60 --away-seconds 10 --full-gc true (each sample forces a full GC first: the heap is live data)
          capacity (d) --workers 5000 --lawyers 200 --capacity 5 --senders 500 --duration 20 --warmup 30 --connect-parallelism 64 --echo false
          topology (e) latency and connection memory through a front vs combined, cluster mode on a spawned PostgreSQL +
                   Redis: --modes combined,front --pairs 20 --msg-rate 10 --duration 20 --warmup 3 --idle-connections 1000
        """;
}
