using StackExchange.Redis;

namespace Hotline.Silo.Hubs;

/// <summary>
/// Whether the Redis backplane (cluster mode) carries events. It owns the one Redis connection the SignalR backplane uses
/// (<see cref="Connect"/> is its connection factory) and checks it end to end every second: a probe published on a channel
/// of this process must come back through this process's own subscription within a second. That needs the same things a
/// push to another process needs: Redis answering, the publishing connection up, and the subscriptions restored after a
/// Redis restart (they lag the command connection by seconds). Two failures in a row mark it down; three successes in a
/// row (about three seconds) mark it up again, because this process's probe proves only its own subscriptions: the other
/// processes reconnect on their own (every second) and re-subscribe after that, and an event published to a process
/// whose subscriptions are not back yet is lost (seen once in RedisLossTests, Redis restarted empty). While it is down,
/// hub calls other than reads are refused with <c>unavailable</c> (<see cref="HubErrorFilter"/>) and REST writes answer 503 (<see cref="BackplaneGate"/>): the events they cause could not reach the other participants,
/// and a client resends (same clientMessageId) once it is back. Without Redis (embedded mode) it is never down.
/// </summary>
public sealed class BackplaneHealth(string? redis, ILogger<BackplaneHealth> logger) : BackgroundService
{
    /// <summary>The channel prefix of every backplane channel (kept from before this class owned the connection, so
    /// processes of different versions still hear each other during a rolling upgrade).</summary>
    public const string ChannelPrefix = "hotline12351";

    private readonly Lazy<Task<ConnectionMultiplexer>> _connection = new(() => ConnectionMultiplexer.ConnectAsync(Options(redis!)));
    private volatile bool _down;

    /// <summary>Probes in a row that must come back before a backplane that was down is trusted again.</summary>
    private const int UpAfterSuccesses = 3;

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

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (string.IsNullOrWhiteSpace(redis)) return;
        var connection = await Connect();
        var channel = RedisChannel.Literal("health:" + Guid.NewGuid().ToString("N"));
        long sent = 0;
        TaskCompletionSource? heard = null;
        var subscriber = connection.GetSubscriber();
        await SubscribeProbe(subscriber, channel, value =>
        {
            if ((long)value == Interlocked.Read(ref sent)) Volatile.Read(ref heard)?.TrySetResult();
        }, stoppingToken);

        var failures = 0;
        var successes = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var probe = Interlocked.Increment(ref sent);
                var echo = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                Volatile.Write(ref heard, echo);
                await subscriber.PublishAsync(channel, probe).WaitAsync(TimeSpan.FromSeconds(1), stoppingToken);
                await echo.Task.WaitAsync(TimeSpan.FromSeconds(1), stoppingToken);
                failures = 0;
                if (_down && ++successes >= UpAfterSuccesses)
                {
                    successes = 0;
                    _down = false;
                    logger.LogWarning("The Redis backplane carries events again: hub calls are served");
                }
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                successes = 0;
                if (++failures >= 2 && !_down)
                {
                    _down = true;
                    logger.LogWarning("The Redis backplane does not carry events ({Error}): hub calls other than reads answer unavailable", e.GetType().Name);
                }
            }
            try { await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken); }
            catch (OperationCanceledException) { break; }
        }
    }

    // Subscribing needs Redis; at start it may be restarting: retry until it answers (the probe fails meanwhile).
    private async Task SubscribeProbe(ISubscriber subscriber, RedisChannel channel, Action<RedisValue> onProbe, CancellationToken stoppingToken)
    {
        while (true)
        {
            try
            {
                await subscriber.SubscribeAsync(channel, (_, value) => onProbe(value));
                return;
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                _down = true;
                logger.LogWarning("The Redis backplane cannot subscribe ({Error}): hub calls other than reads answer unavailable", e.GetType().Name);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
    }
}
