using StackExchange.Redis;

namespace Hotline.Silo.Hubs;

/// <summary>
/// Whether the Redis backplane (cluster mode) answers. A probe pings Redis every second, each ping limited to one
/// second: two failures in a row mark it down, one success marks it up again. While it is down, hub calls other than
/// reads are refused with <c>unavailable</c> (<see cref="HubErrorFilter"/>): the events they cause could not reach the
/// other participants, and a client resends (same clientMessageId) once it is back. Without Redis (embedded mode) it is
/// never down.
/// </summary>
public sealed class BackplaneHealth(string? redis, ILogger<BackplaneHealth> logger) : BackgroundService
{
    private volatile bool _down;

    /// <summary>True while Redis does not answer.</summary>
    public bool Down => _down;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (string.IsNullOrWhiteSpace(redis)) return;
        var options = ConfigurationOptions.Parse(redis);
        options.AbortOnConnectFail = false;
        options.ConnectTimeout = 2000;
        options.AsyncTimeout = 1000;
        using var connection = await ConnectionMultiplexer.ConnectAsync(options);
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await connection.GetDatabase().PingAsync().WaitAsync(TimeSpan.FromSeconds(1), stoppingToken);
                failures = 0;
                if (_down)
                {
                    _down = false;
                    logger.LogWarning("Redis answers again: hub calls are served");
                }
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                if (++failures >= 2 && !_down)
                {
                    _down = true;
                    logger.LogWarning("Redis does not answer ({Error}): hub calls other than reads answer unavailable", e.GetType().Name);
                }
            }
            try { await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken); }
            catch (OperationCanceledException) { break; }
        }
    }
}
