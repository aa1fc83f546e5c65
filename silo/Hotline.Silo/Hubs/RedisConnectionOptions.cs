using StackExchange.Redis;

namespace Hotline.Silo.Hubs;

/// <summary>How every Redis connection of a process is set up (Orleans membership, the SignalR backplane).</summary>
public static class RedisConnectionOptions
{
    /// <summary>Options for <paramref name="connectionString"/> that ride out a Redis restart: the connection keeps
    /// retrying in the background instead of failing the process's start, every second rather than backing off to ten,
    /// so a restarted Redis is used again at once.</summary>
    public static ConfigurationOptions For(string connectionString)
    {
        var options = ConfigurationOptions.Parse(connectionString);
        options.AbortOnConnectFail = false;
        options.ReconnectRetryPolicy = new LinearRetry(1000);
        return options;
    }
}
