using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Logging;

[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Hotline.Api.Tests;

/// <summary>
/// The whole platform (Orleans silo + Kestrel + hubs) on a real loopback socket, with its own temp data folder and free
/// Orleans ports, so the .NET SignalR client talks real WebSockets. Demo lawyers are not seeded: every test creates the
/// lawyers it needs, so no lawyer is online unless a test connects it.
/// </summary>
public class HotlineHost : WebApplicationFactory<Program>, IAsyncLifetime
{
    public const string AdminPassword = "admin12351-test";
    public const string GatewayKey = "test-gateway-key-12351";

    private readonly string _dataPath = Path.Combine(Path.GetTempPath(), "hotline-api-tests-" + Guid.NewGuid().ToString("N")[..12]);
    private string? _adminToken;
    private DateTimeOffset _adminTokenAt;

    public Uri BaseUrl { get; private set; } = null!;
    /// <summary>The host's data folder (SQLite database, keys).</summary>
    public string DataPath => _dataPath;
    /// <summary>Every log line of Information and above, whatever the console filters say (privacy tests read them).</summary>
    public LogCapture Logs { get; } = new();
    /// <summary>What the host's own log configuration lets through (see <see cref="ConfiguredLogCapture"/>).</summary>
    public ConfiguredLogCapture ConfiguredLogs { get; } = new();
    public HotlineRest Rest { get; private set; } = null!;
    public HttpClient Http { get; private set; } = null!;
    /// <summary>Faults a test arms on this host's message store (a pass-through decorator of the real one otherwise).</summary>
    public StoreFaults StoreFaults { get; } = new();

    /// <summary>Grain calls a test makes fail before they reach their grain.</summary>
    public GrainCallFaults CallFaults { get; } = new();

    /// <summary>Settings of this host (configuration keys as in appsettings); derived fixtures change them.</summary>
    protected virtual IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Hotline:Routing:OfferTimeoutSeconds"] = "5",
        ["Hotline:Grains:LawyerGraceSeconds"] = "2",
        ["Hotline:RateLimits:RestPerSecond"] = "500",
        ["Hotline:RateLimits:RestBurst"] = "1000",
        ["Hotline:RateLimits:UserPerSecond"] = "500",
        ["Hotline:RateLimits:UserBurst"] = "1000",
        ["Hotline:RateLimits:ConnectionPerSecond"] = "500",
        ["Hotline:RateLimits:ConnectionBurst"] = "1000",
    };

    /// <summary>Settings every host of these tests shares: all test clients come from 127.0.0.1.</summary>
    private static readonly Dictionary<string, string?> Common = new(LiftedLimits.Settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value)))
    {
        // Test lawyers are created by the hundred: hashing at the production cost would dominate the run.
        ["Hotline:Security:PasswordIterations"] = "1000",
        ["Hotline:Network:KnownProxies"] = "127.0.0.1",
        // Off by default outside Development; the service tests check they are served when turned on.
        ["Hotline:Ops:ApiDocs"] = "true",
        // Web Push tests stand in for the push service with a plain-HTTP server on loopback.
        ["Hotline:Push:EndpointHosts"] = "127.0.0.1",
        ["Hotline:Push:AllowHttp"] = "true",
    };

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Hotline:DataPath"] = _dataPath,
            ["Hotline:SeedsPath"] = TestSeeds(_dataPath),
            ["Hotline:Seed:DemoLawyers"] = "false",
            ["Hotline:Admin:Username"] = "admin",
            ["Hotline:Admin:Password"] = AdminPassword,
            ["Hotline:Gateway:ApiKey"] = GatewayKey,
            ["Hotline:Jwt:SigningKey"] = "test-signing-key-0123456789-0123456789-abcdef",
            ["Orleans:SiloPort"] = FreePort().ToString(),
            ["Orleans:GatewayPort"] = FreePort().ToString(),
            ["Orleans:ClusterId"] = "test-" + Guid.NewGuid().ToString("N")[..8],
            ["Orleans:ServiceId"] = "test-" + Guid.NewGuid().ToString("N")[..8],
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Orleans"] = "Error",
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Error",
        };
        foreach (var (k, v) in Common) settings[k] = v;
        foreach (var (k, v) in Settings) settings[k] = v;
        foreach (var (k, v) in settings) builder.UseSetting(k, v);
        builder.UseEnvironment("Testing");
        builder.ConfigureTestServices(services =>
        {
            services.AddSingleton<Hotline.Abstractions.IMessageStore>(sp =>
                new FailingMessageStore(sp.GetRequiredService<Hotline.Storage.SqlMessageStore>(), StoreFaults));
            services.AddSingleton<IIncomingGrainCallFilter>(CallFaults);
            services.AddSingleton<Hotline.Abstractions.IAuditStore>(sp =>
                new FailingAuditStore(new Hotline.Storage.SqlAuditStore(sp.GetRequiredService<Hotline.Storage.HotlineDatabase>()), StoreFaults));
        });
        builder.ConfigureLogging(l =>
        {
            l.SetMinimumLevel(LogLevel.Warning);
            l.AddProvider(Logs);
            l.AddFilter<LogCapture>(null, LogLevel.Information);
            l.AddProvider(ConfiguredLogs);
        });
    }

    public async Task InitializeAsync()
    {
        UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        StartServer();
        var addresses = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        BaseUrl = new Uri(addresses.First(a => a.StartsWith("http://", StringComparison.Ordinal)));
        Http = new HttpClient { BaseAddress = BaseUrl, Timeout = TimeSpan.FromSeconds(60) };
        Rest = new HotlineRest(Http);
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            try
            {
                using var ready = await Http.GetAsync("/health/ready");
                if (ready.StatusCode == HttpStatusCode.OK) break;
            }
            catch (HttpRequestException) { }
            if (DateTime.UtcNow > until) throw new TimeoutException("the host did not become ready in 60 s");
            await Task.Delay(100);
        }
    }

    public new async Task DisposeAsync()
    {
        Http?.Dispose();
        await base.DisposeAsync();
        foreach (var dir in new[] { _dataPath, _dataPath + "-seeds" })
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>An admin token, renewed when the host's clock (a test may move it) is past half its life.</summary>
    public async Task<string> AdminToken()
    {
        var now = Services.GetRequiredService<TimeProvider>().GetUtcNow();
        if (_adminToken is null || now - _adminTokenAt > TimeSpan.FromHours(1) || now < _adminTokenAt)
            (_adminToken, _adminTokenAt) = ((await Rest.Login("admin", AdminPassword)).Token, now);
        return _adminToken;
    }

    public static int FreePort() => Infra.FreePort();

    /// <summary>
    /// A copy of seeds/ whose catalog also holds <see cref="TestKit.ExtraCategories"/>: every test of the shared host takes
    /// category/dialect combinations of its own (<see cref="TestKit.Combos"/>), and the real catalog has too few.
    /// </summary>
    private static string TestSeeds(string dataPath)
    {
        var source = FindSeeds();
        var target = Path.Combine(dataPath + "-seeds");
        foreach (var file in Directory.GetFiles(source, "*", SearchOption.AllDirectories))
        {
            var to = Path.Combine(target, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(file, to, overwrite: true);
        }
        var catalogPath = Path.Combine(target, "catalog.json");
        var catalog = JsonNode.Parse(File.ReadAllText(catalogPath))!;
        var categories = catalog["categories"]!.AsArray();
        foreach (var id in TestKit.ExtraCategories)
            categories.Add(new JsonObject { ["id"] = id, ["name"] = "Test " + id, ["nameZh"] = "测试 " + id });
        File.WriteAllText(catalogPath, catalog.ToJsonString());
        return target;
    }

    private static string FindSeeds()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var seeds = Path.Combine(dir.FullName, "seeds");
            if (File.Exists(Path.Combine(seeds, "catalog.json")) && File.Exists(Path.Combine(seeds, "lawyers.json"))) return seeds;
        }
        throw new DirectoryNotFoundException("seeds/ not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>Keeps formatted log lines (with exception text) in memory: every category from Information up.</summary>
[ProviderAlias("Capture")]
public sealed class LogCapture : LineCapture;

/// <summary>
/// Keeps the lines the host's configured category levels let through, as its console does in production: it has no
/// rule of its own, so the levels and filters the host sets for each category apply to it.
/// </summary>
public sealed class ConfiguredLogCapture : LineCapture;

/// <summary>A logger provider that keeps formatted log lines (with exception text) in memory.</summary>
public abstract class LineCapture : ILoggerProvider
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _lines = new();

    public IReadOnlyList<string> Lines => _lines.ToArray();
    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);
    public void Dispose() { }

    private sealed class Logger(LineCapture owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (owner._lines.Count > 200_000) owner._lines.TryDequeue(out _);
            owner._lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {exception}");
        }
    }
}

/// <summary>Low flood limits, for the rate-limit tests only.</summary>
public sealed class FloodHost : HotlineHost
{
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Hotline:RateLimits:LoginsPerAddressPerMinute"] = "20",
        ["Hotline:RateLimits:RestPerSecond"] = "2",
        ["Hotline:RateLimits:RestBurst"] = "5",
        ["Hotline:RateLimits:ConnectionPerSecond"] = "2",
        ["Hotline:RateLimits:ConnectionBurst"] = "5",
        ["Hotline:RateLimits:UserPerSecond"] = "1000",
        ["Hotline:RateLimits:UserBurst"] = "1000",
        ["Hotline:RateLimits:ResumePerAddressPerMinute"] = "5",
        ["Hotline:Resume:CodeLifetimeSeconds"] = "1",
    };
}

/// <summary>The must-show load: generous limits, the default offer deadline.</summary>
public sealed class LoadHost : HotlineHost
{
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Hotline:Routing:OfferTimeoutSeconds"] = "30",
        ["Hotline:RateLimits:RestPerSecond"] = "1000",
        ["Hotline:RateLimits:RestBurst"] = "2000",
        ["Hotline:RateLimits:UserPerSecond"] = "1000",
        ["Hotline:RateLimits:UserBurst"] = "2000",
        ["Hotline:RateLimits:ConnectionPerSecond"] = "1000",
        ["Hotline:RateLimits:ConnectionBurst"] = "2000",
    };
}

/// <summary>A clock that can be moved forward (time passes normally otherwise), for the retention test.</summary>
public sealed class ShiftedClock : TimeProvider
{
    private long _offsetTicks;
    public void Advance(TimeSpan by) => Interlocked.Add(ref _offsetTicks, by.Ticks);
    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + TimeSpan.FromTicks(Interlocked.Read(ref _offsetTicks));
}

/// <summary>A host whose TimeProvider the test moves forward (retention).</summary>
public sealed class ClockHost : HotlineHost
{
    public ShiftedClock Clock { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureServices(s => s.AddSingleton<TimeProvider>(Clock));
        // The tests run retention themselves: the hourly job (and its retries every 30 s after a failure) would otherwise
        // run between a test's moves of the clock, or take a fault a test set for its own run.
        builder.ConfigureTestServices(s =>
        {
            foreach (var d in s.Where(d => d.ImplementationType == typeof(Hotline.Silo.Hosting.RetentionService)).ToList()) s.Remove(d);
        });
    }
}

[CollectionDefinition(Name)]
public sealed class ClockCollection : ICollectionFixture<ClockHost>
{
    public const string Name = "clock";
}

[CollectionDefinition(Name)]
public sealed class MainCollection : ICollectionFixture<HotlineHost>
{
    public const string Name = "main";
}

[CollectionDefinition(Name)]
public sealed class FloodCollection : ICollectionFixture<FloodHost>
{
    public const string Name = "flood";
}

[CollectionDefinition(Name)]
public sealed class LoadCollection : ICollectionFixture<LoadHost>
{
    public const string Name = "load";
}
