using System.Diagnostics;
using StackExchange.Redis;

namespace Hotline.Silo.Hubs;

/// <summary>
/// Whether the Redis backplane (cluster mode) carries events. It owns the one Redis connection the SignalR backplane uses
/// (<see cref="Connect"/> is its connection factory) and checks it end to end every second: a probe published on a channel
/// of this process must come back through this process's own subscription within a second. That needs the same things a
/// push to another process needs: Redis answering, the publishing connection up, and the subscriptions restored after a
/// Redis restart (they lag the command connection by seconds). Two failures in a row mark it down.
/// <para>
/// A process's own probe proves only its own subscriptions, and after a Redis restart every process re-subscribes on its
/// own schedule: an event published before the receiving process is back is lost (Redis pub/sub keeps nothing; seen in
/// RedisLossTests, Redis restarted empty). So every process also reports on one shared channel, every second, its id and
/// whether its own probe works, and a backplane that was down is trusted again only once its own probe round-trips and
/// every process heard shortly before its own probe first failed, or while down, has reported its own probe working since
/// (two reports in a row), or has been silent long enough to be taken as gone (<see cref="BackplanePeers"/> holds the rule and its bounds).
/// </para>
/// <para>
/// While up, a peer reporting its own probe failing does not pull this process down: that peer refuses its own writes,
/// (its clients miss the events published to them meanwhile: events are not replayed, and they see the state when they
/// next join or reconnect); refusing here too would turn one sick process
/// into a cluster-wide outage, and an outage of Redis itself shows in this process's own probe within two seconds. The
/// wait on recovery is different: there every process lost its subscriptions at once and they come back seconds apart,
/// a gap every write would fall into, and the wait is bounded.
/// </para>
/// While it is down, hub calls other than reads are refused with <c>unavailable</c> (<see cref="HubErrorFilter"/>) and
/// REST writes answer 503 (<see cref="BackplaneGate"/>): the events they cause could not reach the other participants,
/// and a client resends (same clientMessageId) once it is back. Without Redis (embedded mode) it is never down.
/// Processes of a version without the shared channel are never heard, so they are not waited for.
/// </summary>
public sealed class BackplaneHealth(string? redis, ILogger<BackplaneHealth> logger) : BackgroundService
{
    /// <summary>The channel prefix of every backplane channel (kept from before this class owned the connection, so
    /// processes of different versions still hear each other during a rolling upgrade).</summary>
    public const string ChannelPrefix = "hotline12351";

    /// <summary>The channel every process reports on (<see cref="BackplanePeers.Report"/>), under <see cref="ChannelPrefix"/>.</summary>
    private static readonly RedisChannel Cluster = RedisChannel.Literal("health:cluster");

    private readonly Lazy<Task<ConnectionMultiplexer>> _connection = new(() => ConnectionMultiplexer.ConnectAsync(Options(redis!)));
    private readonly BackplanePeers _peers = new(Guid.NewGuid());
    private readonly long _start = Stopwatch.GetTimestamp();
    private volatile bool _down;

    /// <summary>True while the backplane cannot carry events.</summary>
    public bool Down => _down;

    /// <summary>The backplane's connection (created on first use, shared by every hub's lifetime manager and the probe).</summary>
    public async Task<IConnectionMultiplexer> Connect(TextWriter? log = null) => await _connection.Value;

    /// <summary>The backplane's connection options (<see cref="RedisConnectionOptions"/> and the channel prefix).</summary>
    public static ConfigurationOptions Options(string redis)
    {
        var options = RedisConnectionOptions.For(redis);
        options.ChannelPrefix = RedisChannel.Literal(ChannelPrefix);
        return options;
    }

    // Monotonic: a wall clock set back or forth must not excuse or hold a peer.
    private TimeSpan Now => Stopwatch.GetElapsedTime(_start);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (string.IsNullOrWhiteSpace(redis)) return;
        var connection = await Connect();
        var channel = RedisChannel.Literal("health:" + _peers.Self.ToString("N"));
        long sent = 0;
        TaskCompletionSource? heard = null;
        var subscriber = connection.GetSubscriber();
        await Subscribe(subscriber, channel, value =>
        {
            if ((long)value == Interlocked.Read(ref sent)) Volatile.Read(ref heard)?.TrySetResult();
        }, stoppingToken);
        await Subscribe(subscriber, Cluster, value =>
        {
            if (BackplanePeers.TryParse(value, out var peer, out var works)) Apply(p => p.Heard(peer, works, Now));
        }, stoppingToken);

        while (!stoppingToken.IsCancellationRequested)
        {
            string? error = null;
            try
            {
                var probe = Interlocked.Increment(ref sent);
                var echo = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                Volatile.Write(ref heard, echo);
                await subscriber.PublishAsync(channel, probe).WaitAsync(TimeSpan.FromSeconds(1), stoppingToken);
                await echo.Task.WaitAsync(TimeSpan.FromSeconds(1), stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                error = e.GetType().Name;
            }
            Apply(p => p.Probed(error is null, Now), error);
            try
            {
                // Fire and forget (returns at once): a lost report only delays a peer's recovery by a second.
                await subscriber.PublishAsync(Cluster, BackplanePeers.Report(_peers.Self, error is null), CommandFlags.FireAndForget);
            }
            catch (Exception) when (!stoppingToken.IsCancellationRequested) { }
            try { await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken); }
            catch (OperationCanceledException) { break; }
        }
    }

    // Applies one event to the rule and logs what it changed, once. Under a lock: reports arrive on Redis's threads.
    private void Apply(Func<BackplanePeers, bool> step, string? error = null)
    {
        lock (_peers)
        {
            var waited = _peers.Awaited;
            if (step(_peers))
            {
                _down = _peers.Down;
                if (_down)
                    logger.LogWarning("The Redis backplane does not carry events ({Error}): hub calls other than reads answer unavailable", error);
                else
                    logger.LogWarning("The Redis backplane carries events again (this process's subscriptions and the other processes'): hub calls are served");
            }
            else if (waited == 0 && _peers.Awaited > 0)
                logger.LogWarning("The Redis backplane's probe comes back; waiting for {Peers} other process(es) heard before the outage to report theirs", _peers.Awaited);
        }
    }

    // Subscribing needs Redis; at start it may be restarting: retry until it answers (the backplane is down meanwhile).
    private async Task Subscribe(ISubscriber subscriber, RedisChannel channel, Action<RedisValue> onMessage, CancellationToken stoppingToken)
    {
        while (true)
        {
            try
            {
                // A channel queue delivers in order, one at a time (the handler overload runs messages concurrently): the
                // rule counts a peer's reports "in a row", so an older report must not land after a newer one.
                (await subscriber.SubscribeAsync(channel)).OnMessage(message => onMessage(message.Message));
                return;
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                Apply(p => p.SubscribeFailed(Now), "cannot subscribe: " + e.GetType().Name);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
    }
}
