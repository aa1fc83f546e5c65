using Hotline.Abstractions;
using Hotline.Silo.Api;
using Hotline.Silo.Security;
using Polly;
using Polly.Retry;

namespace Hotline.Silo.Hosting;

/// <summary>Readiness: set once seeding is done and the router and statistics are running; off for good once the silo stops.</summary>
public sealed class Readiness
{
    private volatile bool _ready;
    private volatile bool _stopping;

    public bool Ready { get => _ready && !_stopping; set => _ready = value; }

    /// <summary>The silo is shutting down: not ready any more, whatever the startup loop says.</summary>
    public void Stop() => _stopping = true;
}

/// <summary>
/// After the silo starts: seeds an empty roster from <c>seeds/</c>, wakes the router (which catches up on missed offer
/// deadlines) and the statistics push, then keeps pinging both so that they come back on a survivor after a silo is lost.
/// </summary>
public sealed class HotlineStartup(IGrainFactory grains, SeedFiles seeds, IConfiguration configuration, IHostEnvironment environment,
    Readiness readiness, ILogger<HotlineStartup> logger) : BackgroundService
{
    private static readonly ResiliencePipeline Retry = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions { MaxRetryAttempts = 20, Delay = TimeSpan.FromMilliseconds(500), BackoffType = DelayBackoffType.Exponential, MaxDelay = TimeSpan.FromSeconds(5), UseJitter = true })
        .Build();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Retry.ExecuteAsync(async ct => await SeedAsync(), stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await grains.GetGrain<IRouterGrain>(GrainKeys.Hotline).Ping();
                await grains.GetGrain<IStatisticsGrain>(GrainKeys.Hotline).Start();
                await grains.GetGrain<IConsistencyGrain>(GrainKeys.Hotline).Start();
                readiness.Ready = true;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Router or statistics not reachable yet");
            }
            try { await Task.Delay(TimeSpan.FromSeconds(2), stoppingToken); } catch (OperationCanceledException) { }
        }
    }

    private async Task SeedAsync()
    {
        // Demo lawyers: in Development (the demo), elsewhere only when asked for explicitly.
        if (!OperatorTools.DemoLawyersSeeded(configuration, environment)) return;
        var roster = grains.GetGrain<IRosterGrain>(GrainKeys.Hotline);
        if ((await roster.GetAll()).Count > 0) return;
        var password = configuration["Hotline:Seed:LawyerPassword"];
        // One hash per distinct password: at 600,000 iterations a hash costs a noticeable fraction of a second.
        var hashes = new Dictionary<string, string>();
        foreach (var l in seeds.Lawyers)
        {
            var plain = password ?? l.Password;
            if (!hashes.TryGetValue(plain, out var hash)) hashes[plain] = hash = PasswordHasher.Hash(plain);
            var id = GrainKeys.LawyerId(l.Username);
            try
            {
                await grains.GetGrain<ILawyerGrain>(id).Register(new LawyerProfile
                {
                    Username = l.Username,
                    DisplayName = l.DisplayName,
                    PasswordHash = hash,
                    Skills = l.Skills,
                    Dialects = l.Dialects,
                    Capacity = l.Capacity,
                }, overwrite: false);
            }
            catch (HotlineException e) when (e.Code == HotlineException.Codes.Conflict)
            {
                // Another silo seeded it first.
            }
        }
        logger.LogInformation("Seeded {Count} demo lawyers", seeds.Lawyers.Count);
    }
}
