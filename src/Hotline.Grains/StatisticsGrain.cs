using Hotline.Abstractions;
using Hotline.Domain;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Hotline.Grains;

/// <summary>Durable hotline statistics.</summary>
public sealed class StatisticsState
{
    public HotlineStatistics Statistics { get; set; } = new();
}

/// <summary>
/// Hotline statistics for the whole cluster (one activation): answered, abandoned, waits, handle times and hourly
/// history, joined with the router's live load into a <see cref="MetricsSnapshot"/> that is pushed to admins
/// about once a second.
/// </summary>
public sealed class StatisticsGrain(
    [PersistentState("statistics", StorageNames.Hotline)] IPersistentState<StatisticsState> state,
    IClientNotifier notifier,
    IOptions<GrainOptions> options,
    TimeProvider time,
    ILogger<StatisticsGrain> logger) : Grain, IStatisticsGrain
{
    private IGrainTimer? _push;
    private Task _metricsPush = Task.CompletedTask;
    private DateTimeOffset _metricsPushStarted;
    /// <summary>A push still on its way after this long is given up on (a stuck admin socket must not end the pushes).</summary>
    private static readonly TimeSpan PushGivenUpAfter = TimeSpan.FromSeconds(30);
    private bool _dirty;
    private DateTimeOffset _lastWrite;

    private HotlineStatistics Stats => state.State.Statistics;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // "Today" and the hours follow the hotline's zone (Hotline:TimeZone), not UTC.
        Stats.TimeZoneId = options.Value.TimeZone;
        return Task.CompletedTask;
    }

    public Task Start()
    {
        _push ??= this.RegisterGrainTimer(Push, new GrainTimerCreationOptions
        {
            DueTime = TimeSpan.Zero,
            Period = TimeSpan.FromSeconds(options.Value.MetricsIntervalSeconds),
            KeepAlive = true,
        });
        return Task.CompletedTask;
    }

    public Task RecordArrival(string category, DateTimeOffset at, string? region = null) => Record(() => Stats.RecordArrival(category, at, region));
    public Task RecordAnswered(string category, double waitSeconds, DateTimeOffset at, string? region = null)
        => Record(() => Stats.RecordAnswered(category, waitSeconds, at, region));
    public Task RecordAbandoned(string category, double waitSeconds, DateTimeOffset at, string? region = null)
        => Record(() => Stats.RecordAbandoned(category, waitSeconds, at, region));
    public Task RecordClosed(string category, double handleSeconds, DateTimeOffset at) => Record(() => Stats.RecordClosed(category, handleSeconds, at));
    public Task RecordRated(string category, int rating, DateTimeOffset at) => Record(() => Stats.RecordRated(category, rating, at));

    private async Task Record(Action record)
    {
        record();
        _dirty = true;
        // Statistics are written at most once a second: a crash loses under a second of counters, never a message.
        if (time.GetUtcNow() - _lastWrite > TimeSpan.FromSeconds(1)) await Flush();
    }

    private async Task Flush()
    {
        if (!_dirty) return;
        _dirty = false;
        _lastWrite = time.GetUtcNow();
        await state.WriteStateAsync();
    }

    public async Task<MetricsSnapshot> GetSnapshot()
    {
        var load = await GrainFactory.GetGrain<IRouterGrain>(GrainKeys.Hotline).GetLoad();
        var silos = await GrainFactory.GetGrain<Orleans.Runtime.IManagementGrain>(0).GetHosts(onlyActive: true);
        return MetricsProjection.Build(Stats, load, time.GetUtcNow(), silos.Count);
    }

    public Task<IReadOnlyList<Hotline.Abstractions.HourlyReportRow>> GetHourly(DateTimeOffset from, DateTimeOffset to)
        => Task.FromResult(MetricsProjection.Hourly(Stats, from, to));

    public Task<RangeReport> GetRangeReport(DateOnly from, DateOnly to) => Task.FromResult(ReportProjection.Build(Stats, from, to));

    private async Task Push(CancellationToken cancellationToken)
    {
        await Flush();
        // The push is not awaited in the turn: while the Redis backplane is gone a push waits for its timeout (5 s), and
        // every statistics call behind it (each consultation opened, answered or closed, cluster-wide) would wait too.
        // One at a time: a tick whose predecessor is still on its way is skipped (admins get the next snapshot), unless
        // that one has hung for PushGivenUpAfter.
        if (!notifier.CanPush || (!_metricsPush.IsCompleted && time.GetUtcNow() - _metricsPushStarted < PushGivenUpAfter)) return;
        var snapshot = await GetSnapshot();
        _metricsPushStarted = time.GetUtcNow();
        _metricsPush = OrderedPushes.BestEffort(() => notifier.Admins.Metrics(snapshot), logger);
    }
}
